//! The projection of job events onto a status snapshot. Pure: no I/O.
//!
//! An event applies only if its events-stream sequence is above the snapshot's (older and
//! repeated events change nothing), its attempt is not an abandoned one, and its status is a
//! move the job state machine allows from the snapshot's, or a skip forward on the happy path
//! (events are handled concurrently, so `processed` can come before `completed` is handled).
//! So a late `claimed` never moves a `running` job back, and a terminal job stays terminal,
//! except for a late `completed` over a lost runner. `dispatched` with a new attempt puts a job a runner lost back to `pending`.
//! Heartbeats and cancel requests change nothing a client sees.

use bencher_wire::ids::ReportUuid;
use bencher_wire::msg::{IterationResult, JobEvent, JobEventMessage, JobStatusSnapshot, SchemaV1};
use bencher_wire::status::{FailureReason, JobStatus};

/// The report an event names, if any (`requested`, `processed`).
pub fn event_report(event: &JobEventMessage) -> Option<ReportUuid> {
    match &event.event {
        JobEvent::Requested { report, .. } | JobEvent::Processed { report, .. } => Some(*report),
        _ => None,
    }
}

/// The snapshot after `event` (stored at `sequence` in the events stream), or `None` when the
/// event changes nothing. `report` is used only when there is no snapshot yet.
pub fn apply(
    current: Option<&JobStatusSnapshot>,
    event: &JobEventMessage,
    sequence: u64,
    report: ReportUuid,
) -> Option<JobStatusSnapshot> {
    if current.is_some_and(|c| c.sequence >= sequence) {
        return None;
    }
    if let (Some(current), Some(attempt)) = (current, attempt_of(&event.event))
        && attempt < current.attempt
    {
        // An event of an attempt the scheduler has given up on.
        return None;
    }
    let mut next = current.cloned().unwrap_or(JobStatusSnapshot {
        schema: SchemaV1,
        job: event.job,
        report,
        status: JobStatus::Requested,
        sequence: 0,
        attempt: 0,
        runner: None,
        iteration: None,
        exit_code: None,
        failure: None,
        cancel: None,
        updated_at: event.at,
    });

    match (&event.event, event.event.status()) {
        (JobEvent::Dispatched { attempt, .. }, _) => {
            let status = current.map_or(JobStatus::Pending, |c| c.status);
            let requeue = status.can_requeue() || status == JobStatus::Requested;
            let queued = requeue || status == JobStatus::Pending;
            if current.is_some_and(|c| *attempt <= c.attempt) || !queued {
                return None;
            }
            if requeue || current.is_none() {
                next.status = JobStatus::Pending;
                next.runner = None;
                next.iteration = None;
            }
            next.attempt = *attempt;
        }
        (_, None) => return None,
        (event_kind, Some(status)) => {
            if let Some(current) = current {
                let same = status == current.status;
                // A new iteration is the only same-status change worth a snapshot.
                let next_iteration = same && matches!(event_kind, JobEvent::Running { .. });
                if !next_iteration && !moves_forward(current, status) {
                    return None;
                }
            }
            next.status = status;
            fill(&mut next, event_kind);
        }
    }
    next.sequence = sequence;
    next.updated_at = event.at;
    Some(next)
}

/// Copies what the event tells a client into the snapshot.
fn fill(next: &mut JobStatusSnapshot, event: &JobEvent) {
    match event {
        JobEvent::Requested { report, .. } | JobEvent::Processed { report, .. } => {
            next.report = *report;
        }
        JobEvent::Claimed { runner, attempt } => {
            next.runner = Some(*runner);
            next.attempt = next.attempt.max(*attempt);
        }
        JobEvent::Running {
            runner,
            attempt,
            iteration,
        } => {
            next.runner = Some(*runner);
            next.attempt = next.attempt.max(*attempt);
            next.iteration = iteration.or(next.iteration);
        }
        JobEvent::Completed {
            runner,
            attempt,
            results,
        } => {
            next.runner = Some(*runner);
            next.attempt = next.attempt.max(*attempt);
            next.exit_code = last_exit_code(results).or(next.exit_code);
            // A late `completed` replaces a lost-runner failure.
            next.failure = None;
        }
        JobEvent::Failed {
            reason,
            runner,
            attempt,
            results,
            ..
        } => {
            next.runner = runner.or(next.runner);
            next.attempt = next.attempt.max(attempt.unwrap_or(0));
            next.exit_code = match reason {
                FailureReason::ExitCode { exit_code } => Some(*exit_code),
                _ => last_exit_code(results).or(next.exit_code),
            };
            next.failure = Some(reason.clone());
        }
        JobEvent::Canceled { reason, runner } => {
            next.runner = runner.or(next.runner);
            next.cancel = Some(reason.clone());
        }
        JobEvent::Resolved { .. }
        | JobEvent::Dispatched { .. }
        | JobEvent::Heartbeat { .. }
        | JobEvent::CancelRequested { .. } => {}
    }
}

/// Whether a later event may move the snapshot from its status to `next`: any move the job
/// state machine allows, plus skipping forward over statuses whose events are handled later
/// (replicas handle events concurrently, so `processed` may be seen while the snapshot still
/// says `running`; every publisher checked its own transition against the database).
fn moves_forward(current: &JobStatusSnapshot, next: JobStatus) -> bool {
    let forward = matches!((rank(current.status), rank(next)), (Some(a), Some(b)) if b > a);
    forward
        || current
            .status
            .can_transition_to(next, current.failure.as_ref())
}

/// Position on the happy path; `None` for `failed` and `canceled`.
fn rank(status: JobStatus) -> Option<u8> {
    match status {
        JobStatus::Requested => Some(0),
        JobStatus::Pending => Some(1),
        JobStatus::Claimed => Some(2),
        JobStatus::Running => Some(3),
        JobStatus::Completed => Some(4),
        JobStatus::Processed => Some(5),
        JobStatus::Failed | JobStatus::Canceled => None,
    }
}

fn attempt_of(event: &JobEvent) -> Option<u32> {
    match event {
        JobEvent::Claimed { attempt, .. }
        | JobEvent::Running { attempt, .. }
        | JobEvent::Heartbeat { attempt, .. }
        | JobEvent::Completed { attempt, .. } => Some(*attempt),
        JobEvent::Failed { attempt, .. } => *attempt,
        _ => None,
    }
}

fn last_exit_code(results: &[IterationResult]) -> Option<i32> {
    results.last().map(|r| r.exit_code)
}

#[cfg(test)]
#[path = "project_tests.rs"]
mod tests;
