//! The crate's one error type: why the resolver could not start or keep running.

use bencher_runtime::consumer::ConsumerError;

/// Why the resolver stopped.
#[derive(Debug, thiserror::Error)]
pub enum ResolverError {
    /// An entry of `registries.allow` is not `[http://|https://]host[:port]`.
    #[error("invalid registries.allow entry {entry:?}: {reason}")]
    AllowEntry {
        /// The entry as configured.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The registry client could not be built.
    #[error(transparent)]
    Registry(#[from] bencher_oci::OciError),
    /// The consumer loop could not run (its consumer is not provisioned).
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
}
