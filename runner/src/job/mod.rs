//! One dispatch message, start to end: parse, claim, keep alive, run, report, ack.
//!
//! Claim policy (crash safety): the `claimed` event's `Nats-Msg-Id` is `<job>:claimed:<attempt>`,
//! and the events stream remembers ids for [`Topology::DUPLICATE_WINDOW`] (10 min, far longer
//! than the dispatch consumer's 30 s `ack_wait`). A runner publishes `claimed` before doing
//! anything; if the stream answers "duplicate", another runner already took this attempt (the
//! message is a redelivery after that runner stopped sending progress, or was lost), so this
//! runner terminates the message without running it. The scheduler, which saw the first
//! runner's heartbeats stop, fails the job or re-dispatches it as a new attempt (a new message,
//! new ids). A runner that dies after fetching but before `claimed` leaves an unclaimed message
//! that is redelivered and run normally.
//!
//! [`Topology::DUPLICATE_WINDOW`]: bencher_wire::nats::Topology::DUPLICATE_WINDOW

mod execute;
mod files;
mod output;
mod tasks;

use std::sync::{Arc, Mutex};

use async_nats::jetstream::{self, AckKind};
use bencher_wire::ids::JobUuid;
use bencher_wire::msg::{IterationResult, JobEvent, JobEventMessage, RunJob};
use bencher_wire::status::{Actor, CancelReason, FailureReason, FailureStage};
use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::Shared;
use crate::error::RunnerError;

/// How a job ended on this runner.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Every iteration ran (or one exited non-zero without `allow_failure`).
    Completed(Vec<IterationResult>),
    /// Pull, unpack, runtime or output cap failure.
    Failed {
        stage: FailureStage,
        reason: FailureReason,
        results: Vec<IterationResult>,
    },
    /// Cancel request, shutdown or timeout.
    Canceled(CancelReason),
}

/// The cancel switch of one job and why it was pulled.
#[derive(Clone, Debug, Default)]
pub(crate) struct CancelSwitch {
    token: CancellationToken,
    reason: Arc<Mutex<Option<CancelReason>>>,
}

impl CancelSwitch {
    /// Cancels with `reason` (the first reason given wins).
    pub(crate) fn cancel(&self, reason: CancelReason) {
        if let Ok(mut slot) = self.reason.lock()
            && slot.is_none()
        {
            *slot = Some(reason);
        }
        self.token.cancel();
    }

    /// The reason given, or "the runner" when none was recorded.
    pub(crate) fn reason(&self) -> CancelReason {
        self.reason
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
            .unwrap_or_else(runner_actor)
    }
}

/// Canceled by this runner itself (shutdown).
fn runner_actor() -> CancelReason {
    CancelReason::Requested {
        by: Actor::System {
            service: "runner".to_owned(),
        },
    }
}

/// Handles one dispatch message. Never fails: every problem becomes an event, a log line, or
/// a message left unacknowledged for redelivery.
pub(crate) async fn handle(
    shared: &Shared,
    message: jetstream::Message,
    shutdown: &CancellationToken,
) {
    let run: RunJob = match serde_json::from_slice(&message.payload) {
        Ok(run) => run,
        Err(e) => return poison(shared, &message, &e).await,
    };
    let job = run.job;
    let attempt = run.attempt;

    // Listen for cancels before anyone can learn that we hold the job.
    let control = match shared
        .nats
        .subscribe(shared.subjects().job_control(job))
        .await
    {
        Ok(control) => control,
        Err(e) => {
            tracing::warn!(job = %job, error = %e, "cannot subscribe to job control, leaving the message for redelivery");
            return;
        }
    };
    let claimed = JobEvent::Claimed {
        runner: shared.config.runner,
        attempt,
    };
    match publish_event(shared, job, claimed).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(job = %job, attempt, "attempt already claimed by another runner, dropping the redelivery");
            if let Err(e) = message.ack_with(AckKind::Term).await {
                tracing::warn!(job = %job, error = %e, "term of a claimed redelivery failed");
            }
            return;
        }
        Err(e) => {
            tracing::warn!(job = %job, error = %e, "claim not published, leaving the message for redelivery");
            return;
        }
    }
    tracing::info!(job = %job, attempt, tier = %run.tier, image = %run.image, "job claimed");

    let switch = CancelSwitch::default();
    let stop_tasks = CancellationToken::new();
    let keepalive = tokio::spawn(tasks::keepalive(
        shared.clone(),
        message.clone(),
        job,
        attempt,
        run.heartbeat_interval_ms,
        stop_tasks.clone(),
    ));
    let listener = tokio::spawn(tasks::control(
        control,
        job,
        switch.clone(),
        (shared.config.on_shutdown == crate::ShutdownPolicy::Cancel).then(|| shutdown.clone()),
        stop_tasks.clone(),
    ));

    let outcome = execute::Execution::new(shared, &run, switch).run().await;

    stop_tasks.cancel();
    let _ = keepalive.await;
    let _ = listener.await;
    let event = terminal_event(shared, attempt, outcome);
    let kind = event.kind();
    match publish_event(shared, job, event).await {
        Ok(_) => {
            if let Err(e) = message.double_ack().await {
                tracing::warn!(job = %job, error = %e, "dispatch ack failed");
            }
            tracing::info!(job = %job, attempt, event = %kind, "job finished");
        }
        Err(e) => {
            // Unacked: redelivered after ack_wait, then dropped by the claim check; the
            // scheduler fails the job when our heartbeats stop.
            tracing::error!(job = %job, error = %e, event = %kind, "terminal event not published");
        }
    }
}

fn terminal_event(shared: &Shared, attempt: u32, outcome: Outcome) -> JobEvent {
    let runner = shared.config.runner;
    match outcome {
        Outcome::Completed(results) => JobEvent::Completed {
            runner,
            attempt,
            results,
        },
        Outcome::Failed {
            stage,
            reason,
            results,
        } => JobEvent::Failed {
            stage,
            reason,
            runner: Some(runner),
            attempt: Some(attempt),
            results,
        },
        Outcome::Canceled(reason) => JobEvent::Canceled {
            reason,
            runner: Some(runner),
        },
    }
}

/// Publishes a job event with its wire `Nats-Msg-Id`; `Ok(false)` when the stream already had
/// that id (a duplicate).
pub(crate) async fn publish_event(
    shared: &Shared,
    job: JobUuid,
    event: JobEvent,
) -> Result<bool, RunnerError> {
    let message = JobEventMessage::new(job, event);
    let payload = Bytes::from(serde_json::to_vec(&message)?);
    let published = bencher_runtime::publish_deduplicated(
        &shared.js,
        &message.subject(shared.subjects()),
        &message.msg_id(),
        payload,
        None,
    )
    .await?;
    Ok(!published.duplicate)
}

/// A dispatch message that is not a `RunJob`: fail its job if it names one, and terminate it.
async fn poison(shared: &Shared, message: &jetstream::Message, error: &serde_json::Error) {
    let value: Option<serde_json::Value> = serde_json::from_slice(&message.payload).ok();
    let job = value
        .as_ref()
        .and_then(|v| v.get("job"))
        .and_then(|v| serde_json::from_value::<JobUuid>(v.clone()).ok());
    let attempt = value
        .as_ref()
        .and_then(|v| v.get("attempt"))
        .and_then(serde_json::Value::as_u64)
        .and_then(|a| u32::try_from(a).ok());
    tracing::error!(subject = %message.subject, job = ?job, error = %error, "malformed run command");
    if let Some(job) = job {
        let failed = JobEvent::Failed {
            stage: FailureStage::Run,
            reason: FailureReason::Internal {
                message: format!("malformed run command: {error}"),
            },
            runner: Some(shared.config.runner),
            attempt,
            results: Vec::new(),
        };
        if let Err(e) = publish_event(shared, job, failed).await {
            tracing::error!(job = %job, error = %e, "failed event of a malformed run command not published");
            return;
        }
    }
    if let Err(e) = message.ack_with(AckKind::Term).await {
        tracing::warn!(error = %e, "term of a malformed run command failed");
    }
}
