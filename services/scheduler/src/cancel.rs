//! Cancel requests, the relay to runners, and the terminal events the scheduler itself decides
//! (lost runner, hard timeout, cancel before a runner took the job, unusable job).
//!
//! A job no runner holds yet (`requested`, or `pending` whether or not its run command is
//! queued) is canceled right away; its queued run command is deleted from the dispatch stream,
//! and a runner that took it anyway is told to stop when its `claimed` arrives. A job on a
//! runner gets `cancel` on `ctl.job.<job>` now and again with each of its heartbeats until the
//! runner reports `canceled`.

use bencher_db::queries::job::{JobFields, JobReason};
use bencher_db::queries::scheduler::{
    Step, Stepped, clear_outbox, frees_slot, job_context, job_schedule, request_cancel, step,
};
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, RunnerUuid};
use bencher_wire::msg::{JobControl, JobControlMessage, JobEvent, JobEventMessage};
use bencher_wire::status::{Actor, CancelReason, FailureReason, FailureStage, JobStatus};

use crate::Scheduler;
use crate::error::SchedulerError;
use crate::runner::CANCELABLE;

/// Re-reads after a concurrent change before giving up on a cancel request.
const CANCEL_ROUNDS: usize = 3;

impl Scheduler {
    /// `cancel_requested`: cancel now if no runner holds the job, else tell its runner.
    pub(crate) async fn on_cancel_requested(
        &self,
        job: JobUuid,
        by: Actor,
    ) -> Result<(), SchedulerError> {
        let reason = CancelReason::Requested { by };
        for _ in 0..CANCEL_ROUNDS {
            let Some(context) = job_context(&self.db, job).await? else {
                tracing::warn!(%job, "cancel requested for an unknown job");
                return Ok(());
            };
            let status = bencher_db::parse_job_status(&context.job.status)?;
            let row = context.schedule;
            match status {
                JobStatus::Requested | JobStatus::Pending => {
                    if let Some(row) = &row {
                        // From here on no replica can dispatch it.
                        request_cancel(&self.db, row.job_id, serde_json::to_value(&reason)?, false)
                            .await?;
                    }
                    let stepped = self
                        .conclude(
                            job,
                            &[status],
                            JobReason::Cancel(reason.clone()),
                            canceled(job, reason.clone()),
                        )
                        .await?;
                    if stepped.applied {
                        tracing::info!(%job, "job canceled before a runner took it");
                        if let Some(row) = &stepped.schedule {
                            self.delete_run_command(job, row).await;
                        }
                        return Ok(());
                    }
                }
                JobStatus::Claimed | JobStatus::Running => {
                    let Some(row) = row else {
                        return Ok(());
                    };
                    request_cancel(&self.db, row.job_id, serde_json::to_value(&reason)?, true)
                        .await?;
                    let control = JobControlMessage::new(job, JobControl::Cancel { reason });
                    self.send_control(&control).await?;
                    tracing::info!(%job, "cancel sent to the runner");
                    return Ok(());
                }
                JobStatus::Canceled if row.is_none() => {
                    // Canceled before resolution by an earlier delivery that may have stopped
                    // before its event was acknowledged: publish it again (deduplicated).
                    let stored = context
                        .job
                        .reason
                        .and_then(|r| serde_json::from_value::<CancelReason>(r).ok())
                        .unwrap_or(reason);
                    return self.publish_event(&canceled(job, stored)).await;
                }
                // Completed, processed, failed or canceled: nothing left to stop.
                _ => return Ok(()),
            }
        }
        tracing::warn!(%job, "job kept changing while canceling, retrying later");
        Err(SchedulerError::Contended(job))
    }

    /// Tells the runner holding `job` to stop, with the stored reason.
    pub(crate) async fn relay_cancel(
        &self,
        job: JobUuid,
        row: &job_schedule::Model,
    ) -> Result<(), SchedulerError> {
        let reason = row
            .cancel_reason
            .clone()
            .and_then(|r| serde_json::from_value(r).ok())
            .unwrap_or_else(|| CancelReason::Requested {
                by: Actor::System {
                    service: "scheduler".to_owned(),
                },
            });
        self.send_control(&JobControlMessage::new(job, JobControl::Cancel { reason }))
            .await
    }

    /// Publishes a control message on `ctl.job.<job>` (core NATS: only a runner listening now
    /// gets it, hence the relay on every heartbeat).
    pub(crate) async fn send_control(
        &self,
        control: &JobControlMessage,
    ) -> Result<(), SchedulerError> {
        self.ctx
            .nats
            .publish(
                control.subject(self.ctx.subjects()),
                serde_json::to_vec(control)?.into(),
            )
            .await?;
        Ok(())
    }

    /// Fails `job` (from one of `from`) with `reason` and publishes `job.failed`.
    pub(crate) async fn fail(
        &self,
        job: JobUuid,
        from: &[JobStatus],
        reason: FailureReason,
        runner: Option<RunnerUuid>,
        attempt: Option<u32>,
    ) -> Result<(), SchedulerError> {
        let event = JobEventMessage::new(
            job,
            JobEvent::Failed {
                stage: FailureStage::Scheduling,
                reason: reason.clone(),
                runner,
                attempt,
                results: Vec::new(),
            },
        );
        let stepped = self
            .conclude(job, from, JobReason::Failure(reason.clone()), event)
            .await?;
        if stepped.applied {
            tracing::warn!(%job, reason = %reason, "job failed");
        }
        Ok(())
    }

    /// Moves `job` to the status of `event` (failed or canceled) with `reason`, keeping `event`
    /// in the outbox within the same transaction; publishes it, empties the outbox and refills
    /// the job's slot. The sweep publishes what a crash left in the outbox.
    pub(crate) async fn conclude(
        &self,
        job: JobUuid,
        from: &[JobStatus],
        reason: JobReason,
        event: JobEventMessage,
    ) -> Result<Stepped, SchedulerError> {
        let to = match &event.event {
            JobEvent::Canceled { .. } => JobStatus::Canceled,
            _ => JobStatus::Failed,
        };
        let from: Vec<JobStatus> = from
            .iter()
            .copied()
            .filter(|s| to != JobStatus::Canceled || CANCELABLE.contains(s))
            .collect();
        let fields = JobFields {
            reason: Some(reason),
            ..Default::default()
        };
        let stepped = step(
            &self.db,
            Step {
                job,
                from: &from,
                to,
                fields,
                outbox: Some(serde_json::to_value(&event)?),
            },
        )
        .await?;
        if stepped.applied {
            self.publish_event(&event).await?;
            if let Some(row) = &stepped.schedule {
                clear_outbox(&self.db, row.job_id).await?;
            }
        }
        if let (Some(status), Some(row)) = (stepped.status, &stepped.schedule)
            && frees_slot(status)
        {
            self.forget(job);
            self.fill(row.slot_key.clone(), Priority::from_value(row.tier))
                .await?;
        }
        Ok(stepped)
    }

    /// Deletes a canceled job's queued run command, so no runner starts it. Best effort: a
    /// runner that already took it is stopped when its `claimed` arrives.
    async fn delete_run_command(&self, job: JobUuid, row: &job_schedule::Model) {
        let Some(seq) = row.dispatch_seq.and_then(|s| u64::try_from(s).ok()) else {
            return;
        };
        let name = self.ctx.topology.dispatch_stream().name;
        let deleted = match self.ctx.js.get_stream_no_info(&name).await {
            Ok(stream) => stream.delete_message(seq).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match deleted {
            Ok(_) => tracing::info!(%job, seq, "queued run command deleted"),
            Err(e) => tracing::debug!(%job, seq, error = %e, "run command not deleted"),
        }
    }
}

/// A `canceled` event the scheduler publishes (no runner stopped the job).
pub(crate) fn canceled(job: JobUuid, reason: CancelReason) -> JobEventMessage {
    JobEventMessage::new(
        job,
        JobEvent::Canceled {
            reason,
            runner: None,
        },
    )
}
