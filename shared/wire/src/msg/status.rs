//! The status snapshot of a job: the value of its key in `<P>_JOB_STATUS`, republished on
//! `<p>.v1.status.<job>`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::schema::SchemaV1;
use crate::ids::{JobUuid, ReportUuid, RunnerUuid};
use crate::nats::Subjects;
use crate::status::{CancelReason, FailureReason, JobStatus};

/// The latest known state of a job. A client keeps the snapshot with the highest `sequence`
/// and ignores older ones, whether it read it from the bucket or the subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatusSnapshot {
    /// Always `bencher.v1`.
    pub schema: SchemaV1,
    /// The job.
    pub job: JobUuid,
    /// Its report (fetch it over HTTP once `status` is `processed`).
    pub report: ReportUuid,
    /// Its status.
    pub status: JobStatus,
    /// The events-stream sequence of the event this snapshot reflects: increases with every
    /// update of this job.
    pub sequence: u64,
    /// The current attempt (0 before the first dispatch).
    pub attempt: u32,
    /// The runner holding or that held the job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<RunnerUuid>,
    /// The iteration running, when the job runs several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration: Option<u32>,
    /// The exit code of the last iteration, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Why it failed, when `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureReason>,
    /// Why it was canceled, when `canceled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel: Option<CancelReason>,
    /// When the status last changed.
    pub updated_at: DateTime<Utc>,
}

impl JobStatusSnapshot {
    /// The key in the status bucket: the job UUID.
    pub fn key(&self) -> String {
        self.job.to_string()
    }

    /// `<p>.v1.status.<job>`.
    pub fn subject(&self, subjects: &Subjects) -> String {
        subjects.status(self.job)
    }

    /// Why the job ended badly, for a human.
    pub fn reason(&self) -> Option<String> {
        match (&self.failure, &self.cancel) {
            (Some(failure), _) => Some(failure.message()),
            (None, Some(cancel)) => Some(cancel.to_string()),
            (None, None) => None,
        }
    }
}
