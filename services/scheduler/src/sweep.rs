//! The periodic sweep (every `sweep_interval`, on every replica; all its writes are conditional
//! updates, so replicas sweeping at once change each job once):
//!
//! 1. events left in the outbox by a crash are published again (same `Nats-Msg-Id`);
//! 2. for each job holding a slot: a run command not acknowledged is published again; a job on
//!    a runner without heartbeat for `heartbeat_timeout` fails with `runner_lost` (judged only
//!    when the consumer has no unread backlog, which may hold the heartbeats); a job past
//!    timeout + grace gets `cancel` every sweep, and is canceled (`timeout`) when its runner has
//!    not confirmed within `cancel_confirm`; a dispatched job nobody claims is logged once per
//!    attempt ("no runner for spec X") and stays pending;
//! 3. every concurrency key with waiting jobs is filled (a wake-up lost to a race or a crash
//!    costs at most one sweep interval).

use std::collections::HashSet;
use std::sync::{Arc, PoisonError};

use bencher_db::entities::job;
use bencher_db::parse_job_status;
use bencher_db::queries::job::JobFields;
use bencher_db::queries::job::JobReason;
use bencher_db::queries::scheduler::{
    Step, active, clear_outbox, frees_slot, job_schedule, outbox_due, request_cancel, step,
    waiting_keys,
};
use bencher_runtime::Shutdown;
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, RunnerUuid};
use bencher_wire::msg::{JobControl, JobControlMessage, JobEventMessage};
use bencher_wire::nats::ServiceConsumer;
use bencher_wire::status::{CancelReason, FailureReason, JobStatus};
use bencher_wire::values::Timeout;
use chrono::{DateTime, TimeDelta, Utc};

use crate::Scheduler;
use crate::cancel::canceled;
use crate::error::SchedulerError;

/// Sweeps until `shutdown` trips.
pub(crate) async fn run(scheduler: Arc<Scheduler>, shutdown: Shutdown) {
    let mut ticks = tokio::time::interval(scheduler.options.sweep_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.wait() => break,
            _ = ticks.tick() => {}
        }
        if let Err(e) = scheduler.sweep().await {
            tracing::warn!(error = %e, "sweep failed, retrying next tick");
        }
    }
}

fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Scheduler {
    /// One pass of the sweep.
    pub(crate) async fn sweep(&self) -> Result<(), SchedulerError> {
        let now = Utc::now();
        let owed_before = now - delta(self.options.republish_after);
        for row in outbox_due(&self.db, owed_before).await? {
            let Some(outbox) = row.outbox else { continue };
            let event: JobEventMessage = serde_json::from_value(outbox)?;
            self.publish_event(&event).await?;
            clear_outbox(&self.db, row.job_id).await?;
            tracing::info!(job = %event.job, event = %event.kind(), "owed event published");
        }

        let lost_checks =
            self.started.elapsed() >= self.options.heartbeat_timeout && self.caught_up().await;
        let mut watched = HashSet::new();
        for (row, job) in active(&self.db).await? {
            let uuid = JobUuid::from(job.uuid);
            watched.insert(uuid);
            if let Err(e) = self.watch(&row, &job, now, lost_checks).await {
                tracing::warn!(job = %uuid, error = %e, "sweep could not handle a job");
            }
        }
        self.warned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(job, _)| watched.contains(job));
        self.heartbeat_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|job, _| watched.contains(job));

        for (key, tier) in waiting_keys(&self.db).await? {
            self.fill(key, Priority::from_value(tier)).await?;
        }
        Ok(())
    }

    /// Whether this instance's consumer has been given every event stored for it. A backlog
    /// may hold the very heartbeats whose absence the sweep would judge — after a NATS
    /// reconnect the consumer's open pull request is gone until it expires client-side, and an
    /// overloaded scheduler reads late — so runners are declared lost only on an up-to-date
    /// view. Unknown (NATS unreachable) counts as behind.
    async fn caught_up(&self) -> bool {
        let def = self
            .ctx
            .topology
            .service_consumer(ServiceConsumer::Scheduler);
        let info = async {
            let stream = self.ctx.js.get_stream_no_info(&def.stream).await?;
            let info = stream.consumer_info(&def.durable).await?;
            Ok::<_, async_nats::Error>(info.num_pending)
        };
        match tokio::time::timeout(self.options.sweep_interval, info).await {
            Ok(Ok(0)) => true,
            Ok(Ok(pending)) => {
                tracing::debug!(pending, "events still unread, no lost-heartbeat checks");
                false
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "consumer state unknown, no lost-heartbeat checks");
                false
            }
            Err(_) => false,
        }
    }

    /// Checks one job holding a slot.
    async fn watch(
        &self,
        row: &job_schedule::Model,
        job: &job::Model,
        now: DateTime<Utc>,
        lost_checks: bool,
    ) -> Result<(), SchedulerError> {
        let uuid = JobUuid::from(job.uuid);
        let status = parse_job_status(&job.status)?;
        let Some(dispatched) = row.dispatched else {
            return Ok(());
        };
        match status {
            JobStatus::Pending
                if row.published.is_none()
                    && dispatched < now - delta(self.options.republish_after) =>
            {
                self.publish_owed(row).await?;
            }
            JobStatus::Pending if row.published.is_some() => {
                let waited = now - dispatched;
                if waited > delta(self.options.unclaimed_warning)
                    && self
                        .warned
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert((uuid, row.attempt))
                {
                    tracing::warn!(
                        job = %uuid,
                        spec = %row.spec_slug,
                        waited_secs = waited.num_seconds(),
                        "no runner for spec {}: the job is dispatched and nobody claimed it",
                        row.spec_slug
                    );
                }
            }
            JobStatus::Claimed | JobStatus::Running => {
                let last = row.last_heartbeat.or(job.claimed).unwrap_or(dispatched);
                if lost_checks && last < now - delta(self.options.heartbeat_timeout) {
                    let runner = RunnerUuid::from(row.runner_uuid.unwrap_or_default());
                    let reason = FailureReason::RunnerLost {
                        runner,
                        last_heartbeat: row.last_heartbeat,
                    };
                    let attempt = u32::try_from(row.attempt).ok();
                    let from = [JobStatus::Claimed, JobStatus::Running];
                    return self.fail(uuid, &from, reason, Some(runner), attempt).await;
                }
                self.enforce_timeout(row, job, now).await?;
            }
            // The runner is done but the slot was never returned (status written elsewhere):
            // return it now.
            status if frees_slot(status) => {
                let stepped = step(
                    &self.db,
                    Step {
                        job: uuid,
                        from: &[],
                        to: status,
                        fields: JobFields::default(),
                        outbox: None,
                    },
                )
                .await?;
                if stepped.released {
                    self.fill(row.slot_key.clone(), Priority::from_value(row.tier))
                        .await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Past timeout + grace: tell the runner to stop (every sweep), and cancel the job when it
    /// has not confirmed within `cancel_confirm` of the first request.
    async fn enforce_timeout(
        &self,
        row: &job_schedule::Model,
        job: &job::Model,
        now: DateTime<Utc>,
    ) -> Result<(), SchedulerError> {
        let Some(started) = job.started.or(job.claimed) else {
            return Ok(());
        };
        let Ok(timeout) = Timeout::new(u64::try_from(row.timeout_secs).unwrap_or(0)) else {
            return Ok(());
        };
        if started + delta(timeout.as_duration() + self.options.grace) >= now {
            return Ok(());
        }
        let uuid = JobUuid::from(job.uuid);
        let reason = CancelReason::Timeout { timeout };
        match row.cancel_sent {
            Some(sent) if sent + delta(self.options.cancel_confirm) < now => {
                let from = [JobStatus::Claimed, JobStatus::Running];
                let stepped = self
                    .conclude(
                        uuid,
                        &from,
                        JobReason::Cancel(reason.clone()),
                        canceled(uuid, reason),
                    )
                    .await?;
                if stepped.applied {
                    tracing::warn!(job = %uuid, "job canceled: past its timeout and grace, the runner did not confirm");
                }
            }
            sent => {
                if sent.is_none() {
                    tracing::info!(job = %uuid, timeout = timeout.get(), "job past its timeout and grace, canceling");
                }
                request_cancel(&self.db, row.job_id, serde_json::to_value(&reason)?, true).await?;
                let control = JobControlMessage::new(uuid, JobControl::Cancel { reason });
                self.send_control(&control).await?;
            }
        }
        Ok(())
    }
}
