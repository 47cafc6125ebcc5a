//! The consumer's handler: decode a job event and route it by kind.

use std::sync::Arc;

use async_nats::jetstream;
use bencher_runtime::{Handler, HandlerError};
use bencher_wire::ids::JobUuid;
use bencher_wire::msg::{JobEvent, JobEventMessage};
use bencher_wire::nats::JobEventKind;
use bencher_wire::status::{FailureReason, JobStatus};

use crate::Scheduler;
use crate::error::SchedulerError;

/// Handles every event of the `scheduler` consumer.
pub(crate) struct EventHandler {
    scheduler: Arc<Scheduler>,
}

impl EventHandler {
    pub(crate) fn new(scheduler: Arc<Scheduler>) -> Self {
        Self { scheduler }
    }
}

impl Handler for EventHandler {
    async fn handle(&self, msg: &jetstream::Message) -> Result<(), HandlerError> {
        let message: JobEventMessage = serde_json::from_slice(&msg.payload)
            .map_err(|e| HandlerError::poison(format!("malformed job event: {e}")))?;
        let kind = message.kind();
        let job = message.job;
        let result = self.scheduler.handle(message).await;
        if let Err(e) = &result {
            tracing::warn!(%job, event = %kind, error = %e, "job event not handled");
        }
        result.map_err(|e| e.to_handler_error())
    }

    async fn on_poison(&self, msg: &jetstream::Message, reason: &str) {
        // A job whose `resolved` event cannot be read would stay `requested` forever: fail it.
        // Other events are only logged (the dead letter keeps them); a job whose runner events
        // are lost is failed by the lost-heartbeat sweep.
        let Some((job, JobEventKind::Resolved)) = job_and_kind(msg.subject.as_str()) else {
            return;
        };
        let reason = FailureReason::Internal {
            message: format!("the scheduler cannot read the resolved event: {reason}"),
        };
        let from = [JobStatus::Requested, JobStatus::Pending];
        if let Err(e) = self.scheduler.fail(job, &from, reason, None, None).await {
            tracing::error!(%job, error = %e, "cannot fail a job whose event is poison");
        }
    }
}

impl Scheduler {
    /// Applies one event.
    async fn handle(&self, message: JobEventMessage) -> Result<(), SchedulerError> {
        let job = message.job;
        let at = message.at;
        match message.event {
            JobEvent::Resolved {
                image,
                registry,
                registry_plain_http,
                spec,
                priority,
                timeout,
            } => {
                let resolved = crate::dispatch::Resolved {
                    image,
                    registry,
                    registry_plain_http,
                    spec,
                    priority,
                    timeout,
                };
                self.on_resolved(job, resolved).await
            }
            JobEvent::Claimed { runner, attempt } => {
                self.on_claimed(job, runner, attempt, at).await
            }
            JobEvent::Running {
                runner, attempt, ..
            } => self.on_running(job, runner, attempt, at).await,
            JobEvent::Heartbeat {
                runner, attempt, ..
            } => self.on_heartbeat(job, runner, attempt, at).await,
            JobEvent::Completed {
                attempt, results, ..
            } => self.on_completed(job, attempt, results).await,
            JobEvent::Failed {
                reason,
                attempt,
                results,
                ..
            } => self.on_failed(job, reason, attempt, results).await,
            JobEvent::Canceled { reason, .. } => self.on_canceled(job, reason).await,
            JobEvent::Processed { .. } => self.on_processed(job).await,
            JobEvent::CancelRequested { by } => self.on_cancel_requested(job, by).await,
            // Not in the scheduler's filter; nothing to do if they arrive anyway.
            JobEvent::Requested { .. } | JobEvent::Dispatched { .. } => Ok(()),
        }
    }
}

/// The job and event kind of a subject `<p>.v1.evt.job.<job>.<event>`.
fn job_and_kind(subject: &str) -> Option<(JobUuid, JobEventKind)> {
    let mut tokens = subject.split('.').skip(4);
    let job = tokens.next()?.parse().ok()?;
    let kind = tokens.next()?;
    let kind = JobEventKind::ALL.into_iter().find(|k| k.as_str() == kind)?;
    Some((job, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bencher_wire::nats::Subjects;

    #[test]
    fn reads_job_and_kind_from_built_subjects() {
        let subjects = Subjects::new("bench-x").unwrap();
        let job = JobUuid::new();
        for kind in JobEventKind::ALL {
            assert_eq!(
                job_and_kind(&subjects.job_event(job, kind)),
                Some((job, kind))
            );
        }
        assert_eq!(job_and_kind("bencher.v1.evt.job.nope.resolved"), None);
    }
}
