//! The queries the job flow needs, each generic over the connection so callers can compose them
//! in a transaction.

pub mod alerts;
pub mod history;
pub mod intake;
pub mod job;
pub mod metrics;
pub mod notifier;
pub mod processor;
pub mod registry;
pub mod resolver;
pub mod scheduler;
pub mod spec;
pub mod tenancy;
pub mod thresholds;
