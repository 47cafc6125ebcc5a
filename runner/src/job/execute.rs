//! Pull by digest, unpack, build the bundle, run the iterations, collect the results.

use std::time::Duration;

use bencher_oci::OciError;
use bencher_wire::msg::{IterationResult, JobEvent, OutputFile, RunJob};
use bencher_wire::status::{CancelReason, FailureReason, FailureStage};

use super::files::{self, FilesFailure};
use super::output::OutputSink;
use super::{CancelSwitch, Outcome, publish_event, tasks};
use crate::Shared;
use crate::sandbox::{
    self, Bundle, ContainerLimits, ContainerOutcome, JobOverrides, SandboxConfig, prepare_bundle,
    run_container,
};

/// One attempt of one job on this runner.
pub(crate) struct Execution<'a> {
    shared: &'a Shared,
    run: &'a RunJob,
    switch: CancelSwitch,
    sandbox: SandboxConfig,
}

impl<'a> Execution<'a> {
    /// An execution of `run`, canceled through `switch`.
    pub(crate) fn new(shared: &'a Shared, run: &'a RunJob, switch: CancelSwitch) -> Self {
        let mut sandbox = shared.config.sandbox.clone();
        sandbox.output_cap = usize::try_from(run.output_limits.max_bytes).unwrap_or(usize::MAX);
        Self {
            shared,
            run,
            switch,
            sandbox,
        }
    }

    /// Runs the job to its outcome; the bundle is removed whatever happens.
    pub(crate) async fn run(self) -> Outcome {
        let bundle = match self.prepare().await {
            Ok(bundle) => bundle,
            Err(outcome) => return outcome,
        };
        let outcome = self.iterate(&bundle).await;
        let removed = tokio::task::spawn_blocking(move || bundle.remove()).await;
        if !matches!(removed, Ok(Ok(()))) {
            tracing::warn!(job = %self.run.job, "job bundle not removed");
        }
        outcome
    }

    /// Pulls, unpacks and builds the bundle.
    async fn prepare(&self) -> Result<Bundle, Outcome> {
        let pulled = self.pull().await?;
        let config = self.sandbox.clone();
        let limits = self.shared.config.unpack_limits;
        let image = pulled.clone();
        let rootfs =
            tokio::task::spawn_blocking(move || sandbox::unpacked_rootfs(&config, &image, &limits))
                .await
                .map_err(|e| runner_failure(FailureStage::Pull, format!("unpack task: {e}")))?
                .map_err(|e| {
                    runner_failure(FailureStage::Pull, format!("cannot unpack the image: {e}"))
                })?;
        if self.switch.token.is_cancelled() {
            return Err(Outcome::Canceled(self.switch.reason()));
        }
        let config = self.sandbox.clone();
        let overrides = overrides(self.run);
        let limits = container_limits(self.run);
        tokio::task::spawn_blocking(move || {
            prepare_bundle(&config, &pulled.config, &rootfs, &overrides, &limits)
        })
        .await
        .map_err(|e| runner_failure(FailureStage::Run, format!("bundle task: {e}")))?
        .map_err(|e| runner_failure(FailureStage::Run, e.to_string()))
    }

    /// Pulls the image by digest into the blob cache, retrying transient registry errors.
    async fn pull(&self) -> Result<bencher_oci::PulledImage, Outcome> {
        let access = &self.run.registry;
        let client = self
            .shared
            .clients
            .get(access, self.shared.config.registry_connect_timeout)
            .await
            .map_err(|e| runner_failure(FailureStage::Pull, e.to_string()))?;
        let image = &self.run.image;
        let reference = format!(
            "{}/{}@{}",
            access.registry,
            image.repository(),
            image.digest()
        );
        let cache = self.sandbox.work_dir.join("cache");
        let attempts = self.shared.config.pull_attempts.max(1);
        let mut delay = Duration::from_millis(500);
        for attempt in 1..=attempts {
            let result = tokio::select! {
                result = client.pull_to_cache(&reference, &cache) => result,
                () = self.switch.token.cancelled() => return Err(Outcome::Canceled(self.switch.reason())),
            };
            match result {
                Ok(pulled) => {
                    tracing::debug!(job = %self.run.job, image = %reference, "image pulled");
                    return Ok(pulled);
                }
                Err(e) if e.is_transient() && attempt < attempts => {
                    tracing::warn!(job = %self.run.job, error = %e, attempt, "pull failed, retrying");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = self.switch.token.cancelled() => return Err(Outcome::Canceled(self.switch.reason())),
                    }
                    delay *= 2;
                }
                Err(e) => return Err(self.pull_failure(e)),
            }
        }
        Err(runner_failure(
            FailureStage::Pull,
            "no pull attempt made".to_owned(),
        ))
    }

    fn pull_failure(&self, error: OciError) -> Outcome {
        tracing::info!(job = %self.run.job, error = %error, "pull failed");
        let reason = match error {
            OciError::RepositoryNotFound { .. } | OciError::ManifestNotFound { .. } => {
                FailureReason::ImageNotFound {
                    image: self.run.image.clone().into(),
                }
            }
            other => FailureReason::Runner {
                message: format!("cannot pull {}: {other}", self.run.image),
            },
        };
        Outcome::Failed {
            stage: FailureStage::Pull,
            reason,
            results: Vec::new(),
        }
    }

    /// Runs every iteration within the job's timeout.
    async fn iterate(&self, bundle: &Bundle) -> Outcome {
        let run = self.run;
        let iterations = run.config.iter.get();
        let deadline = tokio::time::Instant::now() + run.timeout.as_duration();
        let (logs, forwarder) = tasks::spawn_log_forwarder(self.shared, run.job, run.attempt);
        let mut sink = OutputSink::new(self.shared, run.job, run.attempt);
        let mut results = Vec::new();
        let mut outcome = None;
        for iteration in 1..=iterations {
            let running = JobEvent::Running {
                runner: self.shared.config.runner,
                attempt: run.attempt,
                iteration: (iterations > 1).then_some(iteration),
            };
            if let Err(e) = publish_event(self.shared, run.job, running).await {
                tracing::warn!(job = %run.job, error = %e, "running event not published");
            }
            if self.switch.token.is_cancelled() {
                outcome = Some(Outcome::Canceled(self.switch.reason()));
                break;
            }
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            if remaining.is_zero() {
                outcome = Some(self.timed_out());
                break;
            }
            let result = run_container(
                &self.sandbox,
                bundle,
                remaining,
                self.switch.token.clone(),
                Some(logs.clone()),
            )
            .await;
            let container = match result {
                Ok(container) => container,
                Err(e) => {
                    outcome = Some(Outcome::Failed {
                        stage: FailureStage::Run,
                        reason: FailureReason::Runner {
                            message: e.to_string(),
                        },
                        results: std::mem::take(&mut results),
                    });
                    break;
                }
            };
            if container.timed_out {
                outcome = Some(self.timed_out());
                break;
            }
            if container.canceled {
                outcome = Some(Outcome::Canceled(self.switch.reason()));
                break;
            }
            let exit_code = container.exit_code;
            let (result, over_cap) = match self
                .result(&mut sink, iteration, container, &bundle.work)
                .await
            {
                Ok(result) => result,
                Err(message) => {
                    outcome = Some(runner_failure(FailureStage::Run, message));
                    break;
                }
            };
            results.push(result);
            if over_cap {
                outcome = Some(Outcome::Failed {
                    stage: FailureStage::Run,
                    reason: FailureReason::OutputTooLarge {
                        limit_bytes: run.output_limits.max_bytes,
                    },
                    results: std::mem::take(&mut results),
                });
                break;
            }
            if exit_code != 0 && !run.config.allow_failure {
                tracing::info!(job = %run.job, iteration, exit_code, "benchmark exited non-zero, stopping");
                break;
            }
        }
        drop(logs);
        let lines = forwarder.await.unwrap_or_default();
        tracing::debug!(job = %run.job, lines, "log lines forwarded");
        outcome.unwrap_or(Outcome::Completed(results))
    }

    fn timed_out(&self) -> Outcome {
        Outcome::Canceled(CancelReason::Timeout {
            timeout: self.run.timeout,
        })
    }

    /// The iteration's result (output files read from the work dir), and whether stdout,
    /// stderr and files together went over the cap.
    async fn result(
        &self,
        sink: &mut OutputSink<'_>,
        iteration: u32,
        container: ContainerOutcome,
        work: &std::path::Path,
    ) -> Result<(IterationResult, bool), String> {
        let cap = usize::try_from(self.run.output_limits.max_bytes).unwrap_or(usize::MAX);
        let mut stderr = container.stderr;
        let mut over_cap = container.stdout_truncated
            || container.stderr_truncated
            || container.stdout.len() + stderr.len() > cap;
        stderr.truncate(cap.saturating_sub(container.stdout.len()));
        let mut files = Vec::new();
        let paths = self.run.config.file_paths.as_ref();
        if let (Some(paths), false) = (paths, over_cap) {
            let work = work.to_path_buf();
            let paths = paths.as_slice().to_vec();
            let max_files = self.run.output_limits.max_files;
            let budget = u64::try_from(cap - container.stdout.len() - stderr.len()).unwrap_or(0);
            let required = container.exit_code == 0;
            let collected = tokio::task::spawn_blocking(move || {
                files::collect(&work, &paths, max_files, budget, required)
            })
            .await
            .map_err(|e| format!("output files task: {e}"))?;
            match collected {
                Ok(collected) => {
                    for (index, (path, bytes)) in collected.into_iter().enumerate() {
                        files.push(OutputFile {
                            path,
                            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                            content: sink
                                .output(iteration, &format!("file-{index}"), &bytes)
                                .await?,
                        });
                    }
                }
                Err(FilesFailure::OverCap) => over_cap = true,
                Err(FilesFailure::TooMany(max)) => {
                    return Err(format!("more than {max} output files"));
                }
                Err(FilesFailure::Unreadable(message)) => return Err(message),
            }
        }
        let result = IterationResult {
            exit_code: container.exit_code,
            stdout: sink.output(iteration, "stdout", &container.stdout).await?,
            stderr: sink.output(iteration, "stderr", &stderr).await?,
            files,
            wall_time_ns: u64::try_from(container.wall_time.as_nanos()).unwrap_or(u64::MAX),
            cpu_time_ns: container
                .cpu_time
                .map(|t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)),
            peak_memory_bytes: container.peak_memory,
            truncated: over_cap,
        };
        Ok((result, over_cap))
    }
}

fn runner_failure(stage: FailureStage, message: String) -> Outcome {
    Outcome::Failed {
        stage,
        reason: FailureReason::Runner { message },
        results: Vec::new(),
    }
}

/// The job's entrypoint, cmd and env overrides.
fn overrides(run: &RunJob) -> JobOverrides {
    let config = &run.config;
    JobOverrides {
        entrypoint: config.entrypoint.as_ref().map(|e| e.as_slice().to_vec()),
        cmd: config.cmd.as_ref().map(|c| c.as_slice().to_vec()),
        env: config
            .env
            .as_ref()
            .map(|env| {
                env.as_slice()
                    .iter()
                    .map(|var| (var.key().to_owned(), var.value().to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The spec's limits: its CPU count as a cpuset from CPU 0 (capped at the machine's CPUs),
/// memory, disk as the `/tmp` size, network.
pub(crate) fn container_limits(run: &RunJob) -> ContainerLimits {
    let spec = &run.spec;
    let available = std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
        .unwrap_or(1);
    ContainerLimits {
        cpuset: (spec.cpu > 0).then(|| ContainerLimits::cpus(0, spec.cpu.min(available))),
        memory_bytes: (spec.memory > 0).then_some(spec.memory),
        tmp_bytes: (spec.disk > 0).then_some(spec.disk),
        network: spec.network,
    }
}
