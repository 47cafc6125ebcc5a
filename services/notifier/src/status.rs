//! The events handler: projects every job event into the job-status bucket with compare-and-set,
//! so the bucket's republish delivers each change on `status.<job>`.

use async_nats::jetstream::Message;
use async_nats::jetstream::kv::{self, CreateErrorKind, Operation, UpdateErrorKind};
use bencher_db::queries::notifier::report_of_job;
use bencher_db::{DatabaseConnection, DbError};
use bencher_runtime::{Handler, HandlerError};
use bencher_wire::msg::{AlertRaised, JobEventMessage, JobStatusSnapshot, ReportEventMessage};
use bencher_wire::nats::Subjects;
use bytes::Bytes;
use tracing::{debug, instrument};

use crate::project::{apply, event_report};

/// How many compare-and-set rounds one event may take before it is retried later.
const CAS_ROUNDS: usize = 32;

/// Projects job events; report and alert events are acknowledged (webhooks are not built yet).
pub(crate) struct StatusProjector {
    pub(crate) db: DatabaseConnection,
    pub(crate) kv: kv::Store,
    pub(crate) subjects: Subjects,
}

impl Handler for StatusProjector {
    #[instrument(skip_all, fields(subject = %msg.subject))]
    async fn handle(&self, msg: &Message) -> Result<(), HandlerError> {
        let sequence = msg
            .info()
            .map_err(|e| HandlerError::poison(format!("no jetstream metadata: {e}")))?
            .stream_sequence;
        if !self.subjects.is_job_event(&msg.subject) {
            // Report and alert events: nothing to project into the job-status bucket (their
            // payloads can parse as job events, so the subject decides).
            return match serde_json::from_slice::<ReportEventMessage>(&msg.payload).is_ok()
                || serde_json::from_slice::<AlertRaised>(&msg.payload).is_ok()
            {
                true => Ok(()),
                false => Err(HandlerError::poison(format!(
                    "malformed event on {}",
                    msg.subject
                ))),
            };
        }
        match serde_json::from_slice::<JobEventMessage>(&msg.payload) {
            Ok(event) if msg.subject.as_str() == event.subject(&self.subjects) => {
                self.project(&event, sequence).await
            }
            Ok(event) => Err(HandlerError::poison(format!(
                "a {} event of job {} on subject {}",
                event.kind(),
                event.job,
                msg.subject
            ))),
            Err(job_error) => {
                let other = serde_json::from_slice::<ReportEventMessage>(&msg.payload).is_ok()
                    || serde_json::from_slice::<AlertRaised>(&msg.payload).is_ok();
                if other {
                    debug!("report or alert event: nothing to project");
                    Ok(())
                } else {
                    Err(HandlerError::poison(format!(
                        "malformed event: {job_error}"
                    )))
                }
            }
        }
    }
}

impl StatusProjector {
    /// Read the job's snapshot, apply the event, write it back only if nobody wrote in between;
    /// on a conflict, read again.
    async fn project(&self, event: &JobEventMessage, sequence: u64) -> Result<(), HandlerError> {
        let key = event.job.to_string();
        for _ in 0..CAS_ROUNDS {
            let entry = self
                .kv
                .entry(key.as_str())
                .await
                .map_err(HandlerError::transient)?;
            let (current, revision) = match entry {
                Some(entry) if entry.operation == Operation::Put => (
                    serde_json::from_slice::<JobStatusSnapshot>(&entry.value).ok(),
                    Some(entry.revision),
                ),
                Some(entry) => (None, Some(entry.revision)),
                None => (None, None),
            };
            let report = match current.as_ref().map(|c| c.report).or(event_report(event)) {
                Some(report) => report,
                None => report_of_job(&self.db, event.job)
                    .await
                    .map_err(db_error)?
                    .ok_or_else(|| {
                        HandlerError::poison(format!("job {} does not exist", event.job))
                    })?,
            };
            let Some(next) = apply(current.as_ref(), event, sequence, report) else {
                debug!(job = %event.job, event = %event.kind(), sequence, "event changes nothing");
                return Ok(());
            };
            let value = Bytes::from(serde_json::to_vec(&next).map_err(HandlerError::poison)?);
            let written = match revision {
                Some(revision) => match self.kv.update(key.as_str(), value, revision).await {
                    Ok(_) => true,
                    Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => false,
                    Err(e) => return Err(HandlerError::transient(e)),
                },
                None => match self.kv.create(key.as_str(), value).await {
                    Ok(_) => true,
                    Err(e) if e.kind() == CreateErrorKind::AlreadyExists => false,
                    Err(e) => return Err(HandlerError::transient(e)),
                },
            };
            if written {
                debug!(job = %event.job, status = %next.status, sequence, "status projected");
                return Ok(());
            }
        }
        Err(HandlerError::transient(format!(
            "job {}: the status kept changing under {CAS_ROUNDS} compare-and-set rounds",
            event.job
        )))
    }
}

fn db_error(e: DbError) -> HandlerError {
    if e.is_transient() {
        HandlerError::transient(e)
    } else {
        HandlerError::poison(e)
    }
}
