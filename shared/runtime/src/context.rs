//! What every service gets when it starts: configuration, the NATS connection and its JetStream
//! context, the topology it provisions from, and the metrics registry. The database connection is
//! passed beside it (this crate does not depend on the database layer).

use std::sync::Arc;

use async_nats::jetstream;
use bencher_wire::nats::{Subjects, Topology};

use crate::config::{Config, ConfigError};
use crate::metrics::Metrics;

/// Shared, cheap-to-clone handles for one service process.
#[derive(Clone, Debug)]
pub struct ServiceContext {
    /// The loaded configuration.
    pub config: Arc<Config>,
    /// The NATS connection (core publish and subscribe).
    pub nats: async_nats::Client,
    /// JetStream on that connection.
    pub js: jetstream::Context,
    /// Every stream, consumer and bucket name, derived from the configured prefix.
    pub topology: Topology,
    /// The process's Prometheus registry.
    pub metrics: Metrics,
}

impl ServiceContext {
    /// Build the context for `config` on an established connection.
    pub fn new(
        config: Arc<Config>,
        nats: async_nats::Client,
        metrics: Metrics,
    ) -> Result<Self, ConfigError> {
        let topology = config.topology()?;
        let js = jetstream::new(nats.clone());
        Ok(Self {
            config,
            nats,
            js,
            topology,
            metrics,
        })
    }

    /// The subject builder.
    pub fn subjects(&self) -> &Subjects {
        self.topology.subjects()
    }
}
