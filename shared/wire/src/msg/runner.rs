//! What runners receive and stream: the run command, control messages and log lines.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::output::JobConfig;
use super::schema::SchemaV1;
use crate::ids::{JobUuid, ProjectUuid, ReportUuid};
use crate::image::PinnedImage;
use crate::json::JsonSpec;
use crate::nats::Subjects;
use crate::priority::Priority;
use crate::status::CancelReason;
use crate::values::Timeout;

/// How a runner reaches and authenticates to the registry for one job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryAccess {
    /// `host[:port]` of the registry.
    pub registry: String,
    /// Whether it speaks plain HTTP (loopback and test setups).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// A bearer token allowing pulls of this job's repository only.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
}

/// Caps on what a job may produce (Bencher: 25 MiB, 255 files).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputLimits {
    /// Total bytes of stdout, stderr and files per iteration.
    pub max_bytes: u64,
    /// Output files per iteration.
    pub max_files: u32,
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
            max_files: 255,
        }
    }
}

/// The command to run one attempt of a job, on `<p>.v1.dispatch.<spec>.<tier>`. A runner acks
/// it only when it has published the job's terminal event; it sends progress meanwhile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunJob {
    /// Always `bencher.v1`.
    pub schema: SchemaV1,
    /// The job.
    pub job: JobUuid,
    /// Which attempt this is (1-based); the runner echoes it in every event.
    pub attempt: u32,
    /// The report the results belong to.
    pub report: ReportUuid,
    /// The project (the pull token's scope).
    pub project: ProjectUuid,
    /// The tier (the dispatch subject's last token).
    pub tier: Priority,
    /// The image, by digest only.
    pub image: PinnedImage,
    /// Where and how to pull it.
    pub registry: RegistryAccess,
    /// The spec whose limits apply (its slug is the dispatch subject's token).
    pub spec: JsonSpec,
    /// Overrides and options.
    pub config: JobConfig,
    /// Hard limit on the whole run, all iterations.
    pub timeout: Timeout,
    /// Output caps.
    pub output_limits: OutputLimits,
    /// How often to send heartbeats, in milliseconds.
    pub heartbeat_interval_ms: u32,
    /// When the scheduler queued it.
    pub dispatched_at: DateTime<Utc>,
}

impl RunJob {
    /// The dispatch subject: `<p>.v1.dispatch.<spec>.<tier>`.
    pub fn subject(&self, subjects: &Subjects) -> String {
        subjects.dispatch(&self.spec.slug, self.tier)
    }

    /// The `Nats-Msg-Id`: `<job>:run:<attempt>`.
    pub fn msg_id(&self) -> String {
        format!("{}:run:{}", self.job, self.attempt)
    }
}

/// A control message to the runner holding a job, on `<p>.v1.ctl.job.<job>` (core NATS).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobControlMessage {
    /// Always `bencher.v1`.
    pub schema: SchemaV1,
    /// The job.
    pub job: JobUuid,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// What to do.
    #[serde(flatten)]
    pub command: JobControl,
}

impl JobControlMessage {
    /// A command for `job`, sent now.
    pub fn new(job: JobUuid, command: JobControl) -> Self {
        Self {
            schema: SchemaV1,
            job,
            at: Utc::now(),
            command,
        }
    }

    /// `<p>.v1.ctl.job.<job>`.
    pub fn subject(&self, subjects: &Subjects) -> String {
        subjects.job_control(self.job)
    }
}

/// Commands to the runner holding a job, tagged `"command"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum JobControl {
    /// Stop the job now and publish `canceled`.
    Cancel {
        /// Why.
        reason: CancelReason,
    },
}

/// Which stream a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line a job printed, on `<p>.v1.log.<job>`, as it happens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Always `bencher.v1`.
    pub schema: SchemaV1,
    /// The job.
    pub job: JobUuid,
    /// The attempt that printed it.
    pub attempt: u32,
    /// Standard output or error.
    pub stream: LogStream,
    /// Counts up from 1 within the attempt, across both streams: the display order.
    pub seq: u64,
    /// The line, without its newline (UTF-8, lossy).
    pub line: String,
    /// When the runner read it.
    pub at: DateTime<Utc>,
}

impl LogLine {
    /// `<p>.v1.log.<job>`.
    pub fn subject(&self, subjects: &Subjects) -> String {
        subjects.log(self.job)
    }

    /// The `Nats-Msg-Id`: `<job>:log:<attempt>:<seq>`.
    pub fn msg_id(&self) -> String {
        format!("{}:log:{}:{}", self.job, self.attempt, self.seq)
    }
}
