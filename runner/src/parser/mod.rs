//! The `bencher-runner` command line. Every flag maps to a configuration key that the TOML file
//! (`--config`) and `BENCHER_*` variables also set (see `bencher_runtime::env`); flags win.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::{RunnerConfig, ShutdownPolicy};
use crate::error::RunnerError;

/// The runner daemon of Bencher on NATS.
#[derive(Debug, Parser)]
#[command(name = "bencher-runner", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take jobs for the given specs and run them until Ctrl-C or SIGTERM.
    Up(UpArgs),
}

/// `bencher-runner up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// TOML configuration file (env BENCHER_CONFIG).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// NATS server URL; repeat for a cluster (env BENCHER_NATS_URL, comma-separated).
    #[arg(long = "nats-url")]
    pub nats_urls: Vec<String>,
    /// Spec slug to serve; repeatable (env BENCHER_RUNNER_SPECS, comma-separated).
    #[arg(long = "spec")]
    pub specs: Vec<String>,
    /// OCI runtime binary (env BENCHER_RUNNER_RUNTIME; default runc).
    #[arg(long)]
    pub runtime: Option<String>,
    /// Work directory for images, bundles and runc state (env BENCHER_RUNNER_WORK_DIR).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Subject prefix (env BENCHER_NATS_PREFIX; default bencher).
    #[arg(long)]
    pub prefix: Option<String>,
    /// What to do with the running job on shutdown.
    #[arg(long, value_enum, default_value = "cancel")]
    pub on_shutdown: OnShutdown,
}

/// `--on-shutdown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnShutdown {
    /// Kill the container and publish `canceled`.
    Cancel,
    /// Let the job finish first.
    Finish,
}

impl From<OnShutdown> for ShutdownPolicy {
    fn from(value: OnShutdown) -> Self {
        match value {
            OnShutdown::Cancel => ShutdownPolicy::Cancel,
            OnShutdown::Finish => ShutdownPolicy::Finish,
        }
    }
}

/// Flags in the configuration's shape (`None` leaves lower layers alone).
#[derive(Debug, Default, Serialize)]
struct Flags {
    #[serde(skip_serializing_if = "Option::is_none")]
    nats: Option<NatsFlags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runner: Option<RunnerFlags>,
}

#[derive(Debug, Default, Serialize)]
struct NatsFlags {
    urls: Option<Vec<String>>,
    prefix: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct RunnerFlags {
    specs: Option<Vec<String>>,
    runtime: Option<String>,
    work_dir: Option<PathBuf>,
}

impl UpArgs {
    /// The merged configuration: defaults < file < environment (`env`) < these flags.
    pub fn load(
        &self,
        env: bencher_runtime::ConfigLoader,
    ) -> Result<bencher_runtime::Config, RunnerError> {
        let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        let flags = Flags {
            nats: Some(NatsFlags {
                urls: non_empty(&self.nats_urls),
                prefix: self.prefix.clone(),
            }),
            runner: Some(RunnerFlags {
                specs: non_empty(&self.specs),
                runtime: self.runtime.clone(),
                work_dir: self.work_dir.clone(),
            }),
        };
        Ok(env.file(self.config.clone()).flags(&flags)?.load()?)
    }

    /// The runner settings from the merged configuration and these flags.
    pub fn runner_config(
        &self,
        config: &bencher_runtime::Config,
    ) -> Result<RunnerConfig, RunnerError> {
        let mut runner = RunnerConfig::from_config(config)?;
        runner.on_shutdown = self.on_shutdown.into();
        runner.validate()?;
        Ok(runner)
    }
}

/// Runs a parsed `bencher-runner` command line to completion: the whole binary but `main`.
pub async fn run_cli(cli: Cli) -> anyhow::Result<()> {
    let Command::Up(args) = cli.command;
    let config = args.load(bencher_runtime::ConfigLoader::from_process_env())?;
    bencher_runtime::init_tracing(config.log.format, &config.log.filter)?;
    let runner = args.runner_config(&config)?;
    let nats = bencher_runtime::nats::connect(&config.nats, "bencher-runner").await?;
    let shutdown = bencher_runtime::Shutdown::new();
    shutdown.trigger_on_signal();
    crate::run(runner, nats, shutdown).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(args: &[&str]) -> UpArgs {
        let cli = Cli::try_parse_from(["bencher-runner", "up"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Up(up) => up,
        }
    }

    #[test]
    fn flags_override_environment_and_defaults() {
        let args = up(&[
            "--nats-url",
            "nats://a:4222",
            "--nats-url",
            "nats://b:4222",
            "--spec",
            "default",
            "--spec",
            "x86-64-4c",
            "--work-dir",
            "/srv/runner",
            "--prefix",
            "bench-dev",
            "--on-shutdown",
            "finish",
        ]);
        let env = bencher_runtime::ConfigLoader::with_env([
            ("BENCHER_RUNNER_RUNTIME", "/usr/sbin/runc"),
            ("BENCHER_NATS_PREFIX", "from-env"),
        ]);
        let config = args.load(env).unwrap();
        assert_eq!(config.nats.urls, ["nats://a:4222", "nats://b:4222"]);
        assert_eq!(config.nats.prefix, "bench-dev");
        let runner = args.runner_config(&config).unwrap();
        let specs: Vec<&str> = runner.specs.iter().map(|s| s.as_str()).collect();
        assert_eq!(specs, ["default", "x86-64-4c"]);
        assert_eq!(runner.sandbox.work_dir, PathBuf::from("/srv/runner"));
        assert_eq!(runner.sandbox.runtime, PathBuf::from("/usr/sbin/runc"));
        assert_eq!(runner.on_shutdown, ShutdownPolicy::Finish);
    }

    #[test]
    fn a_runner_without_spec_is_refused() {
        let args = up(&["--nats-url", "nats://a:4222"]);
        let config = args
            .load(bencher_runtime::ConfigLoader::with_env(
                std::iter::empty::<(String, String)>(),
            ))
            .unwrap();
        let err = args.runner_config(&config).unwrap_err().to_string();
        assert!(err.contains("--spec"), "{err}");
        assert!(
            Cli::try_parse_from(["bencher-runner", "up", "--spec", "a", "--on-shutdown", "x"])
                .is_err()
        );
    }
}
