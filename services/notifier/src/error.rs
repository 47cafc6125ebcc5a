//! The crate's one error type: why the notifier could not start or keep running.

use bencher_runtime::consumer::ConsumerError;

/// Why the notifier stopped.
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    /// The job-status bucket is missing (provision first) or unreadable.
    #[error("job-status bucket {bucket} unavailable: {source}")]
    Bucket {
        /// The bucket name.
        bucket: String,
        /// The client's error.
        #[source]
        source: async_nats::jetstream::context::KeyValueError,
    },
    /// The consumer loop could not run (its consumer is not provisioned).
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
}
