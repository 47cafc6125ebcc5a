//! Jobs, specs and how a client watches a job live.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{JobUuid, ReportUuid, RunnerUuid, SpecUuid};
use crate::image::{Digest, ImageReference};
use crate::priority::Priority;
use crate::slug::Slug;
use crate::status::{CancelReason, FailureReason, JobStatus};
use crate::values::{ResourceName, Timeout};

/// A CPU architecture runners serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Architecture {
    /// 64-bit x86.
    #[serde(rename = "x86_64")]
    X86_64,
    /// 64-bit ARM.
    #[serde(rename = "aarch64")]
    Aarch64,
}

/// A hardware spec: what a job gets on a runner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonSpec {
    /// The spec.
    pub uuid: SpecUuid,
    /// Its display name.
    pub name: ResourceName,
    /// Its slug (a dispatch subject token).
    pub slug: Slug,
    /// The CPU architecture.
    pub architecture: Architecture,
    /// CPUs.
    pub cpu: u32,
    /// Memory in bytes.
    pub memory: u64,
    /// Writable disk in bytes.
    pub disk: u64,
    /// Whether the container has network access.
    pub network: bool,
    /// Whether this is the fallback spec for testbeds without one.
    pub default: bool,
}

/// A job as `GET /v0/projects/{p}/jobs/{j}` and reports show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonJob {
    /// The job.
    pub uuid: JobUuid,
    /// The report it produces results for.
    pub report: ReportUuid,
    /// Where it is in its lifecycle.
    pub status: JobStatus,
    /// Its tier.
    pub priority: Priority,
    /// Its spec; none before resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<JsonSpec>,
    /// The runner that holds or held it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<RunnerUuid>,
    /// The image as the user named it.
    pub image: ImageReference,
    /// The digest it resolved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Its timeout in seconds (after the tier's cap).
    pub timeout: Timeout,
    /// How many times it was dispatched (0 before the first dispatch).
    pub attempt: u32,
    /// When it was requested.
    pub created: DateTime<Utc>,
    /// When a runner started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<DateTime<Utc>>,
    /// When it reached a terminal state (or completed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<DateTime<Utc>>,
    /// When its row last changed.
    pub modified: DateTime<Utc>,
    /// The exit code of its last iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// What it printed and wrote, when asked for (`?output=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<JsonJobOutput>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureReason>,
    /// Why it was canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel: Option<CancelReason>,
    /// How to follow it live; set in the answer to `POST /v0/run` and on job views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<JsonWatch>,
}

/// A job's output, per iteration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonJobOutput {
    /// One entry per iteration run.
    pub results: Vec<JsonIterationOutput>,
}

/// What one iteration printed and wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonIterationOutput {
    /// The exit code.
    pub exit_code: i32,
    /// Standard output (UTF-8, lossy).
    pub stdout: String,
    /// Standard error (UTF-8, lossy).
    pub stderr: String,
    /// Output files by path (UTF-8, lossy).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// Whether a cap cut any of the above short.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// How a client follows a job: over NATS (subscribe to both subjects, then read the current
/// status from the bucket, then apply updates with a higher `sequence`) or over server-sent
/// events from intake, which carry the same [`crate::msg::JobStatusSnapshot`] and
/// [`crate::msg::LogLine`] JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonWatch {
    /// NATS servers a client may connect to; empty when NATS is not exposed to clients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nats_urls: Vec<String>,
    /// Credentials (`.creds` text: a user JWT and seed) limited to this job's subjects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nats_credentials: Option<String>,
    /// Subject of the status snapshots (`bencher.v1.status.<job>`).
    pub status_subject: String,
    /// Subject of the live log lines (`bencher.v1.log.<job>`).
    pub log_subject: String,
    /// Key-value bucket holding the current status.
    pub status_bucket: String,
    /// Key of the job in that bucket.
    pub status_key: String,
    /// Server-sent events URL path (`/v0/projects/<project>/jobs/<job>/events`).
    pub events_url: String,
}
