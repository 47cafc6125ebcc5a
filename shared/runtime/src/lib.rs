//! Service plumbing shared by every bencherd service and the runner.
//!
//! Layout:
//! - [`config`], [`env`]: layered configuration (defaults < TOML < `BENCHER_*` env < flags) and
//!   the one table of environment variables.
//! - [`context`]: the handles every service starts with.
//! - [`telemetry`]: tracing subscriber, human or JSON.
//! - [`nats`]: connect to a list of servers with a bounded first wait, JetStream context.
//! - [`provision`]: get-or-create every stream, bucket and consumer, then verify the echo.
//! - [`consumer`]: the pull loop: ack after commit, nak with delay, dead-letter and term.
//! - [`publish`]: deduplicated publish (`Nats-Msg-Id`) retried through reconnects.
//! - [`metrics`]: the Prometheus registry and the consumer loop's metrics.
//! - [`ops`]: `/healthz`, `/readyz`, `/metrics` router.
//! - [`shutdown`]: one cancellation switch, tripped by Ctrl-C or SIGTERM.
//!
//! Each module has its own error enum; [`RuntimeError`] wraps them all for callers that
//! propagate any of them.

pub mod config;
pub mod consumer;
pub mod context;
pub mod env;
pub mod metrics;
pub mod nats;
pub mod ops;
pub mod provision;
pub mod publish;
pub mod shutdown;
pub mod telemetry;

pub use config::{Config, ConfigLoader};
pub use consumer::{ConsumerOptions, Handler, HandlerError, run_consumer};
pub use context::ServiceContext;
pub use metrics::Metrics;
pub use ops::{HealthState, ops_router};
pub use provision::{provision, provision_dispatch};
pub use publish::publish_deduplicated;
pub use shutdown::{Shutdown, shutdown_signal};
pub use telemetry::init_tracing;

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// Loading the configuration failed.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// Setting up logging failed.
    #[error(transparent)]
    Telemetry(#[from] telemetry::TelemetryError),
    /// Connecting to NATS failed.
    #[error(transparent)]
    Nats(#[from] nats::NatsError),
    /// Provisioning NATS resources failed or found a mismatch.
    #[error(transparent)]
    Provision(#[from] provision::ProvisionError),
    /// A consumer loop could not run.
    #[error(transparent)]
    Consumer(#[from] consumer::ConsumerError),
    /// A publish was refused or not acknowledged.
    #[error(transparent)]
    Publish(#[from] publish::PublishFailure),
}
