//! The job status state machine (DESIGN §3) and why a job failed or was canceled.
//!
//! ```text
//! requested ──▶ pending ──▶ claimed ──▶ running ──▶ completed ──▶ processed
//!     │            │           │           │            │
//!     └────────────┴───────────┴───────────┴────────────┴──▶ failed
//!     └────────────┴───────────┴───────────┴──▶ canceled
//! ```
//!
//! Runner events may be handled out of order by concurrent consumers, so from `pending` on a
//! job may skip forward (`pending → running` when `claimed` is handled late; the late `claimed`
//! is then refused as a move backwards). `requested` only moves to `pending`, `failed` or
//! `canceled`: nothing can run before resolution. `processed`, `failed` and `canceled` are
//! terminal, with Bencher's one allowance: a late `completed` replaces a `failed` whose reason
//! is [`FailureReason::RunnerLost`]. A `completed` job can still fail (its output does not
//! parse) but no longer be canceled: there is nothing left to stop.
//!
//! Re-queueing a job whose runner was lost (`claimed`/`running` back to `pending` with the next
//! attempt) is a scheduler decision, not an event-driven transition: see
//! [`JobStatus::can_requeue`].

mod reason;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use reason::{Actor, CancelReason, FailureReason, FailureStage};

/// Where a job is in its lifecycle: Bencher's statuses plus `requested` before resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Intake accepted the job; the image and spec are not resolved yet.
    Requested,
    /// Resolved and queued for a runner of its spec.
    Pending,
    /// A runner took the job.
    Claimed,
    /// The runner started the container.
    Running,
    /// The benchmark finished; its output waits for the result-processor.
    Completed,
    /// The results are stored. Terminal.
    Processed,
    /// The job failed. Terminal (but see [`FailureReason::RunnerLost`]).
    Failed,
    /// The job was canceled. Terminal.
    Canceled,
}

impl JobStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [JobStatus; 8] = [
        JobStatus::Requested,
        JobStatus::Pending,
        JobStatus::Claimed,
        JobStatus::Running,
        JobStatus::Completed,
        JobStatus::Processed,
        JobStatus::Failed,
        JobStatus::Canceled,
    ];

    /// The name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Requested => "requested",
            JobStatus::Pending => "pending",
            JobStatus::Claimed => "claimed",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Processed => "processed",
            JobStatus::Failed => "failed",
            JobStatus::Canceled => "canceled",
        }
    }

    /// Whether no event moves the job any more (apart from the late-`completed` allowance).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Processed | JobStatus::Failed | JobStatus::Canceled
        )
    }

    /// Whether a runner holds the job (its heartbeats count).
    pub fn is_on_runner(self) -> bool {
        matches!(self, JobStatus::Claimed | JobStatus::Running)
    }

    /// Position on the happy path; `None` for `failed` and `canceled`.
    fn rank(self) -> Option<u8> {
        match self {
            JobStatus::Requested => Some(0),
            JobStatus::Pending => Some(1),
            JobStatus::Claimed => Some(2),
            JobStatus::Running => Some(3),
            JobStatus::Completed => Some(4),
            JobStatus::Processed => Some(5),
            JobStatus::Failed | JobStatus::Canceled => None,
        }
    }

    /// Whether a job in `self` may move to `next`. `failure` is the reason the job failed,
    /// consulted only when `self` is `failed` (pass what is stored; `None` when unknown).
    /// `false` means: ignore the event (it is late, repeated or would leave a terminal state).
    pub fn can_transition_to(self, next: JobStatus, failure: Option<&FailureReason>) -> bool {
        use JobStatus as S;
        match (self, next) {
            (S::Failed, S::Completed) => {
                matches!(failure, Some(FailureReason::RunnerLost { .. }))
            }
            (from, _) if from.is_terminal() => false,
            (_, S::Failed) => true,
            (S::Completed, S::Canceled) => false,
            (_, S::Canceled) => true,
            (S::Requested, to) => to == S::Pending,
            (from, to) => match (from.rank(), to.rank()) {
                (Some(a), Some(b)) => b > a && (to != S::Processed || from == S::Completed),
                _ => false,
            },
        }
    }

    /// Whether the scheduler may put the job back to `pending` for another attempt (its runner
    /// was lost before the job completed).
    pub fn can_requeue(self) -> bool {
        self.is_on_runner()
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobStatus {
    type Err = crate::error::ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| {
                crate::error::ValidationError::invalid(
                    "status",
                    format!(
                        "{:?} is not a job status",
                        crate::error::truncate_for_message(s)
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests;
