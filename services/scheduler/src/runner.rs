//! Runner events: each moves `job.status` with one conditional update (an event that would move
//! the job backwards or out of a terminal state changes nothing), records liveness, and frees
//! the job's slot once the runner is done with it.

use bencher_db::queries::job::{JobFields, JobReason};
use bencher_db::queries::scheduler::{
    Step, frees_slot, record_heartbeat, record_runner, runner_id, schedule_of, step,
};
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, RunnerUuid};
use bencher_wire::msg::IterationResult;
use bencher_wire::status::{CancelReason, FailureReason, JobStatus};
use chrono::{DateTime, Utc};

use crate::Scheduler;
use crate::error::SchedulerError;

/// How long a `processed` that overtook its `completed` waits in place between two tries, and
/// how many times, before it is handed back for a later delivery.
const EARLY_WAIT: std::time::Duration = std::time::Duration::from_millis(20);
const EARLY_WAITS: u32 = 25;

/// Every status a job may fail from.
const NOT_TERMINAL: [JobStatus; 5] = [
    JobStatus::Requested,
    JobStatus::Pending,
    JobStatus::Claimed,
    JobStatus::Running,
    JobStatus::Completed,
];

/// Every status a job may be canceled from.
pub(crate) const CANCELABLE: [JobStatus; 4] = [
    JobStatus::Requested,
    JobStatus::Pending,
    JobStatus::Claimed,
    JobStatus::Running,
];

/// Every status a `completed` may move from (a `failed` only when the runner was lost).
const COMPLETABLE: [JobStatus; 4] = [
    JobStatus::Pending,
    JobStatus::Claimed,
    JobStatus::Running,
    JobStatus::Failed,
];

impl Scheduler {
    /// `claimed`: the job is on `runner` for `attempt`.
    pub(crate) async fn on_claimed(
        &self,
        job: JobUuid,
        runner: RunnerUuid,
        attempt: u32,
        at: DateTime<Utc>,
    ) -> Result<(), SchedulerError> {
        self.on_runner_holds(job, runner, attempt, at, JobStatus::Claimed)
            .await
    }

    /// `running`: the container (or a next iteration) started.
    pub(crate) async fn on_running(
        &self,
        job: JobUuid,
        runner: RunnerUuid,
        attempt: u32,
        at: DateTime<Utc>,
    ) -> Result<(), SchedulerError> {
        self.on_runner_holds(job, runner, attempt, at, JobStatus::Running)
            .await
    }

    async fn on_runner_holds(
        &self,
        job: JobUuid,
        runner: RunnerUuid,
        attempt: u32,
        at: DateTime<Utc>,
        to: JobStatus,
    ) -> Result<(), SchedulerError> {
        let Some(row) = schedule_of(&self.db, job).await? else {
            tracing::warn!(%job, %runner, event = %to, "runner event for a job never dispatched");
            return Ok(());
        };
        if !same_attempt(row.attempt, Some(attempt)) {
            tracing::info!(%job, attempt, current = row.attempt, "event of an old attempt ignored");
            return Ok(());
        }
        let from: &[JobStatus] = if to == JobStatus::Claimed {
            &[JobStatus::Pending]
        } else {
            &[JobStatus::Pending, JobStatus::Claimed]
        };
        let fields = JobFields {
            runner_id: Some(runner_id(&self.db, runner).await?),
            ..Default::default()
        };
        let stepped = step(
            &self.db,
            Step {
                job,
                from,
                to,
                fields,
                outbox: None,
            },
        )
        .await?;
        record_runner(
            &self.db,
            row.job_id,
            row.attempt,
            runner,
            at.min(Utc::now()),
        )
        .await?;
        if stepped.applied {
            tracing::info!(%job, %runner, attempt, status = %to, "job on runner");
        }
        // A runner that took a job already canceled (or asked to cancel) is told to stop.
        let canceled = stepped.status == Some(JobStatus::Canceled);
        if let Some(row) = stepped.schedule
            && (row.cancel_requested.is_some() || canceled)
        {
            self.relay_cancel(job, &row).await?;
        }
        Ok(())
    }

    /// `heartbeat`: the runner of `attempt` is alive. At most one write per job per
    /// `heartbeat_write_interval` on this instance; a requested cancel is relayed every time.
    pub(crate) async fn on_heartbeat(
        &self,
        job: JobUuid,
        runner: RunnerUuid,
        attempt: u32,
        at: DateTime<Utc>,
    ) -> Result<(), SchedulerError> {
        let Some(row) = schedule_of(&self.db, job).await? else {
            return Ok(());
        };
        if !same_attempt(row.attempt, Some(attempt)) {
            return Ok(());
        }
        if row.cancel_requested.is_some() {
            self.relay_cancel(job, &row).await?;
        }
        if row.finished.is_none() && self.heartbeat_due(job) {
            tracing::trace!(%job, %runner, "heartbeat recorded");
            record_heartbeat(&self.db, row.job_id, row.attempt, at.min(Utc::now())).await?;
        }
        Ok(())
    }

    /// `completed`: the benchmark finished (also replacing a `failed` for a lost runner).
    pub(crate) async fn on_completed(
        &self,
        job: JobUuid,
        attempt: u32,
        results: Vec<IterationResult>,
    ) -> Result<(), SchedulerError> {
        if !self.is_current_attempt(job, Some(attempt)).await? {
            return Ok(());
        }
        let fields = JobFields {
            exit_code: results.last().map(|r| r.exit_code),
            output: Some(serde_json::json!({ "results": results })),
            ..Default::default()
        };
        self.advance(job, &COMPLETABLE, JobStatus::Completed, fields)
            .await
    }

    /// `failed`, from a runner, the resolver, the processor or this service.
    pub(crate) async fn on_failed(
        &self,
        job: JobUuid,
        reason: FailureReason,
        attempt: Option<u32>,
        results: Vec<IterationResult>,
    ) -> Result<(), SchedulerError> {
        if !self.is_current_attempt(job, attempt).await? {
            return Ok(());
        }
        let output = (!results.is_empty()).then(|| serde_json::json!({ "results": results }));
        let fields = JobFields {
            exit_code: results.last().map(|r| r.exit_code),
            reason: Some(JobReason::Failure(reason)),
            output,
            ..Default::default()
        };
        self.advance(job, &NOT_TERMINAL, JobStatus::Failed, fields)
            .await
    }

    /// `canceled`, from the runner that stopped the job or from this service.
    pub(crate) async fn on_canceled(
        &self,
        job: JobUuid,
        reason: CancelReason,
    ) -> Result<(), SchedulerError> {
        let fields = JobFields {
            reason: Some(JobReason::Cancel(reason)),
            ..Default::default()
        };
        self.advance(job, &CANCELABLE, JobStatus::Canceled, fields)
            .await
    }

    /// `processed`: the results are stored. It can overtake the `completed` it follows (both
    /// queued while this service was down, then handled at once): retried later instead of
    /// being dropped, which would leave the job `completed` forever.
    /// The `completed` is usually in another handler of this instance right now, so it is
    /// awaited in place for a moment first.
    pub(crate) async fn on_processed(&self, job: JobUuid) -> Result<(), SchedulerError> {
        let mut waits = 0;
        loop {
            let now = self
                .step_and_fill(
                    job,
                    &[JobStatus::Completed],
                    JobStatus::Processed,
                    JobFields::default(),
                )
                .await?;
            match now {
                // `failed` too: a job failed for lost heartbeats (e.g. while NATS restarted) gets
                // its late `completed` after all, and only the results processor publishes
                // `processed`, after that `completed`. Dropping it here would leave the job
                // `completed` for good once the late event lands.
                Some(
                    status @ (JobStatus::Pending
                    | JobStatus::Claimed
                    | JobStatus::Running
                    | JobStatus::Failed),
                ) => {
                    if waits == EARLY_WAITS {
                        return Err(SchedulerError::Early(job, status));
                    }
                    waits += 1;
                    tokio::time::sleep(EARLY_WAIT).await;
                }
                _ => return Ok(()),
            }
        }
    }

    /// Applies a status change announced by someone else, then refills the job's slot once the
    /// runner is done with it (also on a repeated delivery: a fill owed by an earlier one).
    async fn advance(
        &self,
        job: JobUuid,
        from: &[JobStatus],
        to: JobStatus,
        fields: JobFields,
    ) -> Result<(), SchedulerError> {
        self.step_and_fill(job, from, to, fields).await.map(|_| ())
    }

    /// [`Self::advance`], returning the job's status afterwards (`None`: no such job).
    async fn step_and_fill(
        &self,
        job: JobUuid,
        from: &[JobStatus],
        to: JobStatus,
        fields: JobFields,
    ) -> Result<Option<JobStatus>, SchedulerError> {
        let stepped = step(
            &self.db,
            Step {
                job,
                from,
                to,
                fields,
                outbox: None,
            },
        )
        .await?;
        if stepped.applied {
            tracing::info!(%job, status = %to, "job status changed");
        }
        if let (Some(status), Some(row)) = (stepped.status, stepped.schedule)
            && frees_slot(status)
        {
            self.forget(job);
            self.fill(row.slot_key, Priority::from_value(row.tier))
                .await?;
        }
        Ok(stepped.status)
    }

    /// Whether `attempt` (when the event names one) is the job's current attempt; events of
    /// an abandoned attempt are ignored.
    async fn is_current_attempt(
        &self,
        job: JobUuid,
        attempt: Option<u32>,
    ) -> Result<bool, SchedulerError> {
        if attempt.is_none() {
            return Ok(true);
        }
        let current = schedule_of(&self.db, job).await?;
        let same = current
            .as_ref()
            .is_none_or(|row| same_attempt(row.attempt, attempt));
        if !same {
            tracing::info!(%job, ?attempt, "event of an old attempt ignored");
        }
        Ok(same)
    }
}

fn same_attempt(current: i32, attempt: Option<u32>) -> bool {
    attempt.is_none_or(|a| i64::from(a) == i64::from(current))
}
