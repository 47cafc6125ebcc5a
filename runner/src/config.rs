//! The runner's settings: who it is, which specs it serves, where it works, how it waits.

use std::path::PathBuf;
use std::time::Duration;

use bencher_oci::UnpackLimits;
use bencher_wire::ids::RunnerUuid;
use bencher_wire::nats::{Subjects, Topology};
use bencher_wire::slug::Slug;

use crate::error::RunnerError;
use crate::sandbox::SandboxConfig;

/// What to do with the job in hand when the runner is asked to stop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShutdownPolicy {
    /// Kill the container and publish `canceled` (by the runner service).
    #[default]
    Cancel,
    /// Let the job run to its end, publish its result, then stop.
    Finish,
}

/// Everything [`crate::run`] needs besides the NATS connection.
#[derive(Clone, Debug)]
pub struct RunnerConfig {
    /// This runner's identity, echoed in every event it publishes.
    pub runner: RunnerUuid,
    /// Spec slugs served; each gets one dispatch consumer per tier.
    pub specs: Vec<Slug>,
    /// Subjects, streams and buckets (from the subject prefix).
    pub topology: Topology,
    /// Work dir, runtime binary, pids limit, cgroup parent.
    pub sandbox: SandboxConfig,
    /// Caps on unpacking one image.
    pub unpack_limits: UnpackLimits,
    /// What happens to the current job on shutdown.
    pub on_shutdown: ShutdownPolicy,
    /// Longest idle wait between two looks at the queues when no dispatch publish was seen
    /// (catches redeliveries, which publish nothing).
    pub idle_poll: Duration,
    /// How long a pull waits for a message announced by a dispatch publish to be stored.
    pub wake_wait: Duration,
    /// How often the dispatch message gets an in-progress ack while a job runs.
    pub progress_interval: Duration,
    /// Attempts at pulling an image when the registry is unreachable or overloaded.
    pub pull_attempts: u32,
    /// Connect timeout towards registries.
    pub registry_connect_timeout: Duration,
}

impl RunnerConfig {
    /// Defaults for a runner of `specs` working in `work_dir` with the default prefix.
    pub fn new(specs: Vec<Slug>, work_dir: PathBuf) -> Self {
        Self {
            runner: RunnerUuid::new(),
            specs,
            topology: Topology::new(Subjects::default(), 1),
            sandbox: SandboxConfig {
                work_dir,
                ..SandboxConfig::default()
            },
            unpack_limits: UnpackLimits::default(),
            on_shutdown: ShutdownPolicy::default(),
            idle_poll: Duration::from_secs(1),
            wake_wait: Duration::from_millis(200),
            progress_interval: Duration::from_secs(5),
            pull_attempts: 3,
            registry_connect_timeout: Duration::from_secs(5),
        }
    }

    /// The runner settings of a loaded `bencherd`/runner configuration: `runner.specs`,
    /// `runner.runtime`, the work dir (`runner.work_dir`, else `<data_dir>/runner`) and the
    /// subject prefix and replicas of `nats`.
    pub fn from_config(config: &bencher_runtime::Config) -> Result<Self, RunnerError> {
        let specs = parse_specs(&config.runner.specs)?;
        let mut this = Self::new(specs, config.runner_work_dir());
        this.topology = config.topology()?;
        this.sandbox.runtime = PathBuf::from(&config.runner.runtime);
        Ok(this)
    }

    /// The subject builder.
    pub fn subjects(&self) -> &Subjects {
        self.topology.subjects()
    }

    /// Checks what cannot work: no spec, or the same spec twice.
    pub fn validate(&self) -> Result<(), RunnerError> {
        if self.specs.is_empty() {
            return Err(RunnerError::Config(
                "no spec to serve: give at least one --spec".to_owned(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.specs.iter().find(|s| !seen.insert(s.as_str())) {
            return Err(RunnerError::Config(format!("spec {dup} given twice")));
        }
        Ok(())
    }
}

/// Parses spec slugs, naming the bad one.
pub fn parse_specs(specs: &[String]) -> Result<Vec<Slug>, RunnerError> {
    specs
        .iter()
        .map(|s| {
            s.parse::<Slug>()
                .map_err(|e| RunnerError::Config(format!("spec {s:?}: {e}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_validated() {
        assert!(parse_specs(&["Not A Slug".to_owned()]).is_err());
        let specs = parse_specs(&["default".to_owned(), "x86-64-4c".to_owned()]).unwrap();
        let config = RunnerConfig::new(specs.clone(), PathBuf::from("/tmp/x"));
        config.validate().unwrap();
        let empty = RunnerConfig::new(Vec::new(), PathBuf::from("/tmp/x"));
        assert!(empty.validate().is_err());
        let twice = RunnerConfig::new(vec![specs[0].clone(), specs[0].clone()], "/x".into());
        assert!(twice.validate().unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn takes_runner_settings_from_the_shared_config() {
        let mut shared = bencher_runtime::Config::default();
        shared.runner.specs = vec!["default".to_owned()];
        shared.runner.runtime = "/usr/sbin/runc".to_owned();
        shared.nats.prefix = "bench-dev".to_owned();
        let config = RunnerConfig::from_config(&shared).unwrap();
        assert_eq!(config.specs[0].as_str(), "default");
        assert_eq!(config.sandbox.runtime, PathBuf::from("/usr/sbin/runc"));
        assert_eq!(config.sandbox.work_dir, shared.data_dir.join("runner"));
        assert_eq!(config.subjects().prefix(), "bench-dev");
    }
}
