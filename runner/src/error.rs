//! The runner's one error type: what stops the daemon. A failing job never does; it becomes
//! a `failed` or `canceled` event instead.

use bencher_runtime::provision::ProvisionError;

/// Why the runner daemon could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The configuration is unusable (no spec, bad slug or prefix).
    #[error("invalid runner configuration: {0}")]
    Config(String),
    /// The runtime configuration could not be loaded.
    #[error(transparent)]
    RuntimeConfig(#[from] bencher_runtime::config::ConfigError),
    /// Connecting to NATS failed.
    #[error(transparent)]
    Nats(#[from] bencher_runtime::nats::NatsError),
    /// The dispatch stream or consumers could not be provisioned.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// A dispatch consumer could not be looked up.
    #[error("dispatch consumer {durable}: {source}")]
    Consumer {
        /// The durable name.
        durable: String,
        /// The client's error.
        #[source]
        source: async_nats::Error,
    },
    /// Subscribing to the dispatch subjects failed.
    #[error("subscribe to {subject}: {source}")]
    Subscribe {
        /// The subject.
        subject: String,
        /// The client's error.
        #[source]
        source: async_nats::SubscribeError,
    },
    /// An event could not be published (serialized, or acknowledged by the stream).
    #[error(transparent)]
    Publish(#[from] bencher_runtime::publish::PublishFailure),
    /// A message could not be serialized.
    #[error("serialize a message: {0}")]
    Json(#[from] serde_json::Error),
    /// Preparing or cleaning the work directory failed.
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
}
