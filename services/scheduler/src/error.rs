//! The scheduler's one error type and how the consumer loop settles each kind.

use bencher_db::DbError;
use bencher_runtime::HandlerError;
use bencher_runtime::consumer::ConsumerError;
use bencher_runtime::publish::PublishFailure;

/// Why the scheduler could not handle an event or keep running.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The database refused or could not be reached.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A JetStream publish got no acknowledgement.
    #[error(transparent)]
    Publish(#[from] PublishFailure),
    /// A core NATS publish (control message) failed.
    #[error("control message not sent: {0}")]
    Control(#[from] async_nats::PublishError),
    /// A stored or received JSON value does not have the expected shape.
    #[error("malformed json: {0}")]
    Json(#[from] serde_json::Error),
    /// The job kept changing under a decision; worth another try.
    #[error("job {0} kept changing, retry later")]
    Contended(bencher_wire::ids::JobUuid),
    /// The event came before the one it follows (a `processed` before its `completed`);
    /// worth another try once that one is applied.
    #[error("job {0} is still {1}: the event came early, retry later")]
    Early(bencher_wire::ids::JobUuid, bencher_wire::status::JobStatus),
    /// The consumer loop could not start.
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
    /// The runner's pull token could not be signed (a bad `registry.token_secret`).
    #[error("signing the runner's pull token: {0}")]
    Token(#[from] jsonwebtoken::errors::Error),
}

impl SchedulerError {
    /// How the consumer loop settles a message whose handler failed with `self`: retry later
    /// what may pass (database busy, NATS unreachable), dead-letter the rest.
    pub fn to_handler_error(&self) -> HandlerError {
        match self {
            SchedulerError::Db(e) if e.is_transient() => HandlerError::transient(e),
            SchedulerError::Publish(_)
            | SchedulerError::Control(_)
            | SchedulerError::Contended(_)
            | SchedulerError::Early(..) => HandlerError::transient(self),
            SchedulerError::Db(_)
            | SchedulerError::Json(_)
            | SchedulerError::Consumer(_)
            | SchedulerError::Token(_) => HandlerError::poison(self),
        }
    }
}
