//! The runner under test against real parts: a nats-server with the whole topology provisioned
//! (as bencherd does), Debian's docker-registry holding a busybox image built with umoci, and
//! the runner daemon in-process with real runc.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use async_nats::jetstream;
use bencher_runner::{RunnerConfig, RunnerError};
use bencher_runtime::Shutdown;
use bencher_testkit::nats::NatsServer;
use bencher_wire::ids::JobUuid;
use bencher_wire::image::PinnedImage;
use bencher_wire::msg::{JobEvent, JobEventMessage, LogLine, RunJob};
use bencher_wire::nats::{Subjects, Topology};
use bencher_wire::values::Timeout;
use bencher_wire::{Priority, SAMPLES_DIR};
use bytes::Bytes;
use futures::StreamExt;
use tempfile::TempDir;
use tokio::task::JoinHandle;

pub use bencher_testkit::oci as support;

/// One test's world.
pub struct World {
    pub nats: NatsServer,
    pub registry: support::Registry,
    _layout: support::Layout,
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub topo: Topology,
    /// `host/team/bench@sha256:...`
    pub image: PinnedImage,
    work: TempDir,
    runner: Option<(Shutdown, JoinHandle<Result<(), RunnerError>>)>,
}

impl World {
    /// Starts NATS (provisioned), the registry, and pushes the busybox image.
    pub async fn start() -> World {
        let nats = NatsServer::start().await.unwrap();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = jetstream::new(client.clone());
        let topo = Topology::new(Subjects::default(), 1);
        bencher_runtime::provision(&js, &topo).await.unwrap();
        let registry = support::Registry::start().unwrap();
        let layout = support::Layout::new().unwrap();
        support::busybox_image(&layout, "v1").unwrap();
        layout.push("v1", &registry, "team/bench:v1").unwrap();
        let digest = layout.tag_digest("v1").unwrap();
        let image =
            PinnedImage::parse(&format!("{}/team/bench@{digest}", registry.host())).unwrap();
        World {
            nats,
            registry,
            _layout: layout,
            client,
            js,
            topo,
            image,
            work: tempfile::tempdir().unwrap(),
            runner: None,
        }
    }

    pub fn subjects(&self) -> &Subjects {
        self.topo.subjects()
    }

    /// The runner's settings for spec `default` in this world.
    pub fn runner_config(&self) -> RunnerConfig {
        let mut config = RunnerConfig::new(
            vec!["default".parse().unwrap()],
            self.work.path().join("runner"),
        );
        config.sandbox.cgroup_parent = "bencher-test".to_owned();
        config
    }

    /// Starts the runner in-process on its own connection.
    pub async fn start_runner(&mut self, config: RunnerConfig) {
        let nats = async_nats::connect(self.nats.url()).await.unwrap();
        let shutdown = Shutdown::new();
        let handle = tokio::spawn(bencher_runner::run(config, nats, shutdown.clone()));
        // Ready once its consumers exist.
        let deadline = Instant::now() + Duration::from_secs(10);
        let spec = "default".parse().unwrap();
        let durable = self
            .topo
            .dispatch_consumer(&spec, Priority::Unclaimed)
            .durable;
        let stream = self.topo.dispatch_stream().name;
        loop {
            let ready = match self.js.get_stream(&stream).await {
                Ok(s) => s
                    .get_consumer::<jetstream::consumer::pull::Config>(&durable)
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "runner did not provision");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Doorbell subscriptions are made right after provisioning.
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.runner = Some((shutdown, handle));
    }

    /// Trips the runner's shutdown and waits for `run` to return.
    pub async fn stop_runner(&mut self) -> Result<(), RunnerError> {
        let (shutdown, handle) = self.runner.take().expect("runner started");
        shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(20), handle)
            .await
            .expect("runner stops")
            .unwrap()
    }

    /// The runner's work dir.
    pub fn work_dir(&self) -> std::path::PathBuf {
        self.work.path().join("runner")
    }

    /// A run command for this world's image, running `script` with `sh -c`.
    pub fn run_job(&self, script: &str, tier: Priority) -> RunJob {
        let sample = std::fs::read(format!("{SAMPLES_DIR}/run_job.json")).unwrap();
        let mut run: RunJob = serde_json::from_slice(&sample).unwrap();
        run.job = JobUuid::new();
        run.attempt = 1;
        run.tier = tier;
        run.image = self.image.clone();
        run.registry.registry = self.registry.host();
        run.registry.plain_http = true;
        run.registry.token = String::new();
        run.spec.slug = "default".parse().unwrap();
        run.spec.cpu = 1;
        run.spec.memory = 256 << 20;
        run.spec.disk = 64 << 20;
        run.config = serde_json::from_value(serde_json::json!({
            "entrypoint": ["/bin/sh", "-c"],
            "cmd": [script],
            "iter": 1,
        }))
        .unwrap();
        run.timeout = Timeout::new(60).unwrap();
        run.heartbeat_interval_ms = 1000;
        run
    }

    /// Queues `run` as the scheduler does.
    pub async fn dispatch(&self, run: &RunJob) {
        let payload = Bytes::from(serde_json::to_vec(run).unwrap());
        bencher_runtime::publish_deduplicated(
            &self.js,
            &run.subject(self.subjects()),
            &run.msg_id(),
            payload,
            None,
        )
        .await
        .unwrap();
    }

    /// Subscribes to a job's events and log lines (before dispatching it).
    pub async fn watch(&self, job: JobUuid) -> Watch {
        Watch {
            events: self
                .client
                .subscribe(self.subjects().job_timeline(job))
                .await
                .unwrap(),
            logs: self
                .client
                .subscribe(self.subjects().log(job))
                .await
                .unwrap(),
        }
    }
}

/// A job's events and logs as they arrive.
pub struct Watch {
    pub events: async_nats::Subscriber,
    pub logs: async_nats::Subscriber,
}

impl Watch {
    /// The next event, within `within`.
    pub async fn next(&mut self, within: Duration) -> JobEventMessage {
        let message = tokio::time::timeout(within, self.events.next())
            .await
            .expect("an event in time")
            .expect("subscription open");
        serde_json::from_slice(&message.payload).unwrap()
    }

    /// Every event up to and including the terminal one.
    pub async fn until_terminal(&mut self, within: Duration) -> Vec<JobEventMessage> {
        let deadline = Instant::now() + within;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self.next(left).await;
            let terminal = matches!(
                event.event,
                JobEvent::Completed { .. } | JobEvent::Failed { .. } | JobEvent::Canceled { .. }
            );
            events.push(event);
            if terminal {
                return events;
            }
        }
    }

    /// Log lines received so far (the runner flushes them before its terminal event).
    pub async fn logs_so_far(&mut self) -> Vec<LogLine> {
        let mut lines = Vec::new();
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_millis(300), self.logs.next()).await
        {
            lines.push(serde_json::from_slice(&message.payload).unwrap());
        }
        lines
    }
}

/// The event kinds in order, heartbeats included.
pub fn kinds(events: &[JobEventMessage]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind().as_str()).collect()
}
