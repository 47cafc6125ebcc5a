//! The runner daemon: takes dispatched jobs for its specs, highest tier first, pulls each image
//! by digest, runs it in an OCI runtime and reports every step as job events. Runners speak
//! only bencher-wire messages over NATS and never touch the database.
//!
//! Layout:
//! - [`run`]: the daemon loop (also started by `bencherd up`).
//! - [`config`]: the [`RunnerConfig`] and the [`ShutdownPolicy`].
//! - `dispatch`: the (spec, tier) pull consumers and the doorbell subscription.
//! - `job`: one run command end to end — claim, heartbeats and progress, cancel listener,
//!   pull, unpack, bundle, iterations, log forwarding, outputs, terminal event, ack.
//! - `registry`: registry clients kept per pull token.
//! - `cleanup`: leftover containers and bundles of a previous run.
//! - [`parser`]: the `bencher-runner` command line.
//! - [`sandbox`]: bundle and runc (no NATS).
//! - [`error`]: the [`RunnerError`] type.
//!
//! Events of one attempt: `claimed` → `running` (one per iteration when `iter > 1`) →
//! `heartbeat` every `heartbeat_interval_ms` → `completed` | `failed` | `canceled`. A non-zero
//! exit is `completed` (the result-processor fails the job unless `allow_failure`); later
//! iterations are skipped after one. Timeouts kill the container and publish `canceled` with
//! [`CancelReason::Timeout`](bencher_wire::status::CancelReason::Timeout). stdout and stderr
//! together are capped at `output_limits.max_bytes`; going over fails the job with
//! `output_too_large` (results attached).

pub mod config;
pub mod error;
pub mod parser;
pub mod sandbox;

mod cleanup;
mod dispatch;
mod job;
mod registry;

use async_nats::jetstream;
use bencher_runtime::Shutdown;
use bencher_wire::nats::Subjects;

pub use config::{RunnerConfig, ShutdownPolicy};
pub use error::RunnerError;

/// What every job handler shares.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    pub(crate) config: std::sync::Arc<RunnerConfig>,
    pub(crate) nats: async_nats::Client,
    pub(crate) js: jetstream::Context,
    pub(crate) clients: std::sync::Arc<registry::Clients>,
}

impl Shared {
    pub(crate) fn subjects(&self) -> &Subjects {
        self.config.subjects()
    }
}

/// Runs the runner until `shutdown` trips: provisions its dispatch consumers, takes one job at
/// a time (plus before free before unclaimed), and on shutdown cancels or finishes the current
/// job per [`RunnerConfig::on_shutdown`]. Leftover containers and bundles in the work dir are
/// removed at start and at exit.
pub async fn run(
    config: RunnerConfig,
    nats: async_nats::Client,
    shutdown: Shutdown,
) -> Result<(), RunnerError> {
    config.validate()?;
    let mut config = config;
    // runc resolves relative mount sources against the bundle, not our working directory.
    config.sandbox.work_dir = std::path::absolute(&config.sandbox.work_dir).map_err(|e| {
        RunnerError::Config(format!(
            "work dir {}: {e}",
            config.sandbox.work_dir.display()
        ))
    })?;
    cleanup::clean_work_dir(&config.sandbox).await?;
    let js = jetstream::new(nats.clone());
    let mut queues = dispatch::Queues::open(&config, &nats, &js).await?;
    let shared = Shared {
        config: std::sync::Arc::new(config),
        nats,
        js,
        clients: std::sync::Arc::default(),
    };
    let specs: Vec<&str> = shared.config.specs.iter().map(|s| s.as_str()).collect();
    tracing::info!(runner = %shared.config.runner, specs = ?specs, "runner ready");
    let mut rung: Option<String> = None;
    while !shutdown.is_triggered() {
        if let Some(message) = queues.take(rung.as_deref()).await {
            job::handle(&shared, message, shutdown.token()).await;
            queues.drain_doorbell();
            rung = None;
            continue;
        }
        rung = match queues.wait(shutdown.wait()).await {
            dispatch::Wake::Rung(subject) => Some(subject),
            dispatch::Wake::Poll => None,
            dispatch::Wake::Stop => break,
        };
    }
    cleanup::clean_work_dir(&shared.config.sandbox).await?;
    tracing::info!(runner = %shared.config.runner, "runner stopped");
    Ok(())
}
