//! The crate's one error type, and the one place it becomes an ack decision.

use async_nats::jetstream::context::ObjectStoreError;
use async_nats::jetstream::object_store::GetError;
use bencher_db::DbError;
use bencher_runtime::HandlerError;
use bencher_runtime::consumer::ConsumerError;
use bencher_runtime::publish::PublishFailure;

/// Why the processor stopped, or could not finish a message.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The consumer loop could not run (its consumer is not provisioned).
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
    /// A database operation failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// An event was not acknowledged by JetStream.
    #[error(transparent)]
    Publish(#[from] PublishFailure),
    /// A message or a stored JSON column could not be (de)serialized.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// The outputs object store could not be opened.
    #[error("cannot open the outputs store {bucket}: {source}")]
    OutputStore {
        /// The bucket.
        bucket: String,
        /// The client's error.
        #[source]
        source: ObjectStoreError,
    },
    /// An output object could not be fetched (other than "not found").
    #[error("cannot fetch output {name}: {source}")]
    OutputGet {
        /// The object.
        name: String,
        /// The client's error.
        #[source]
        source: GetError,
    },
    /// An output object broke off while being read.
    #[error("cannot read output {name}: {source}")]
    OutputRead {
        /// The object.
        name: String,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// A message that can never be processed (wrong event, unknown job or report).
    #[error("{0}")]
    Malformed(String),
    /// A stored value this version cannot read (an adapter name, a threshold test, a slug).
    #[error("stored {what} {value:?} is not valid")]
    Stored {
        /// What kind of value.
        what: &'static str,
        /// The stored text.
        value: String,
    },
}

impl ProcessorError {
    /// Whether a later delivery may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ProcessorError::Db(e) => e.is_transient(),
            ProcessorError::Publish(_)
            | ProcessorError::OutputStore { .. }
            | ProcessorError::OutputGet { .. }
            | ProcessorError::OutputRead { .. } => true,
            ProcessorError::Consumer(_)
            | ProcessorError::Json(_)
            | ProcessorError::Malformed(_)
            | ProcessorError::Stored { .. } => false,
        }
    }

    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        ProcessorError::Malformed(message.into())
    }
}

impl From<ProcessorError> for HandlerError {
    fn from(err: ProcessorError) -> Self {
        if err.is_transient() {
            HandlerError::transient(err)
        } else {
            HandlerError::poison(err)
        }
    }
}
