//! Subject builders: `<prefix>.v1.<kind>...`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, truncate_for_message};
use crate::ids::{JobUuid, ProjectUuid, ReportUuid};
use crate::priority::Priority;
use crate::slug::Slug;

/// The events of a job's lifecycle, each the last token of its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobEventKind {
    /// Intake accepted the job.
    Requested,
    /// The resolver pinned the digest, spec, priority and timeout.
    Resolved,
    /// The scheduler queued the job for runners of its spec.
    Dispatched,
    /// A runner took the job.
    Claimed,
    /// The runner started the container.
    Running,
    /// The runner is alive and still working on the job.
    Heartbeat,
    /// The benchmark finished; its output is attached.
    Completed,
    /// The job failed (resolution, runner, exit code, lost heartbeats, parse error).
    Failed,
    /// The job was canceled (user request or hard timeout).
    Canceled,
    /// A user asked to cancel the job.
    CancelRequested,
    /// The result-processor stored the job's results.
    Processed,
}

impl JobEventKind {
    /// Every kind, in lifecycle order.
    pub const ALL: [JobEventKind; 11] = [
        JobEventKind::Requested,
        JobEventKind::Resolved,
        JobEventKind::Dispatched,
        JobEventKind::Claimed,
        JobEventKind::Running,
        JobEventKind::Heartbeat,
        JobEventKind::Completed,
        JobEventKind::Failed,
        JobEventKind::Canceled,
        JobEventKind::CancelRequested,
        JobEventKind::Processed,
    ];

    /// The subject token (also the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            JobEventKind::Requested => "requested",
            JobEventKind::Resolved => "resolved",
            JobEventKind::Dispatched => "dispatched",
            JobEventKind::Claimed => "claimed",
            JobEventKind::Running => "running",
            JobEventKind::Heartbeat => "heartbeat",
            JobEventKind::Completed => "completed",
            JobEventKind::Failed => "failed",
            JobEventKind::Canceled => "canceled",
            JobEventKind::CancelRequested => "cancel_requested",
            JobEventKind::Processed => "processed",
        }
    }
}

impl fmt::Display for JobEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The events of a report submitted without a job (Bencher's local flow).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportEventKind {
    /// Intake stored a report with raw results to parse.
    Submitted,
    /// The result-processor stored its metrics, boundaries and alerts.
    Processed,
}

impl ReportEventKind {
    /// The subject token (also the serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            ReportEventKind::Submitted => "submitted",
            ReportEventKind::Processed => "processed",
        }
    }
}

impl fmt::Display for ReportEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds every subject under one validated prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subjects {
    prefix: String,
}

impl Default for Subjects {
    fn default() -> Self {
        Self {
            prefix: super::DEFAULT_PREFIX.to_owned(),
        }
    }
}

impl Subjects {
    /// Subjects under `prefix`, which must be one subject token (`[A-Za-z0-9_-]+`).
    pub fn new(prefix: &str) -> Result<Self, ValidationError> {
        let valid = !prefix.is_empty()
            && prefix.len() <= 32
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(ValidationError::SubjectPrefix {
                value: truncate_for_message(prefix),
            })
        }
    }

    /// The prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The prefix for names of streams and buckets: uppercase, `-` as `_` (`BENCHER`).
    pub fn name_prefix(&self) -> String {
        self.prefix.to_ascii_uppercase().replace('-', "_")
    }

    fn v1(&self, rest: fmt::Arguments<'_>) -> String {
        format!("{}.v1.{rest}", self.prefix)
    }

    /// `<p>.v1.evt.job.<job>.<event>`: one transition of one job.
    pub fn job_event(&self, job: JobUuid, kind: JobEventKind) -> String {
        self.v1(format_args!("evt.job.{job}.{kind}"))
    }

    /// Whether `subject` is a job event (`<p>.v1.evt.job.<job>.<event>`), as opposed to a report
    /// or alert event: payloads of different kinds can look alike, subjects cannot.
    pub fn is_job_event(&self, subject: &str) -> bool {
        subject
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_prefix(".v1.evt.job."))
            .is_some_and(|rest| rest.split('.').count() == 2)
    }

    /// `<p>.v1.evt.job.*.<event>`: one kind of transition of every job (consumer filters).
    pub fn job_event_filter(&self, kind: JobEventKind) -> String {
        self.v1(format_args!("evt.job.*.{kind}"))
    }

    /// `<p>.v1.evt.job.<job>.*`: the whole timeline of one job.
    pub fn job_timeline(&self, job: JobUuid) -> String {
        self.v1(format_args!("evt.job.{job}.*"))
    }

    /// `<p>.v1.evt.report.<report>.<event>`.
    pub fn report_event(&self, report: ReportUuid, kind: ReportEventKind) -> String {
        self.v1(format_args!("evt.report.{report}.{kind}"))
    }

    /// `<p>.v1.evt.report.*.<event>` (consumer filters).
    pub fn report_event_filter(&self, kind: ReportEventKind) -> String {
        self.v1(format_args!("evt.report.*.{kind}"))
    }

    /// `<p>.v1.evt.alert.<project>.raised`.
    pub fn alert_raised(&self, project: ProjectUuid) -> String {
        self.v1(format_args!("evt.alert.{project}.raised"))
    }

    /// `<p>.v1.evt.alert.*.raised` (consumer filters).
    pub fn alert_raised_filter(&self) -> String {
        self.v1(format_args!("evt.alert.*.raised"))
    }

    /// `<p>.v1.evt.>`: everything the events stream holds.
    pub fn events_wildcard(&self) -> String {
        self.v1(format_args!("evt.>"))
    }

    /// `<p>.v1.dispatch.<spec>.<tier>`: the run command for runners of one spec and tier.
    pub fn dispatch(&self, spec: &Slug, tier: Priority) -> String {
        self.v1(format_args!("dispatch.{spec}.{tier}"))
    }

    /// `<p>.v1.dispatch.>`: everything the dispatch stream holds.
    pub fn dispatch_wildcard(&self) -> String {
        self.v1(format_args!("dispatch.>"))
    }

    /// `<p>.v1.ctl.job.<job>`: control messages to the runner holding a job (cancel), core NATS.
    pub fn job_control(&self, job: JobUuid) -> String {
        self.v1(format_args!("ctl.job.{job}"))
    }

    /// `<p>.v1.log.<job>`: live log lines of one job.
    pub fn log(&self, job: JobUuid) -> String {
        self.v1(format_args!("log.{job}"))
    }

    /// `<p>.v1.log.>`: everything the logs stream holds.
    pub fn log_wildcard(&self) -> String {
        self.v1(format_args!("log.>"))
    }

    /// `<p>.v1.status.<job>`: status snapshots, republished from the job-status bucket.
    pub fn status(&self, job: JobUuid) -> String {
        self.v1(format_args!("status.{job}"))
    }

    /// `<p>.v1.status.>`: the republish destination of the job-status bucket.
    pub fn status_wildcard(&self) -> String {
        self.v1(format_args!("status.>"))
    }

    /// `<p>.v1.dead.<consumer>`: messages a consumer gave up on, with the reason in headers.
    pub fn dead_letter(&self, consumer: &str) -> String {
        self.v1(format_args!("dead.{consumer}"))
    }

    /// `<p>.v1.dead.>`: everything the dead-letter stream holds.
    pub fn dead_letter_wildcard(&self) -> String {
        self.v1(format_args!("dead.>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_documented_subjects() {
        let s = Subjects::default();
        let job: JobUuid = "0191c2a4-0000-7000-8000-000000000001".parse().unwrap();
        assert_eq!(
            s.job_event(job, JobEventKind::CancelRequested),
            "bencher.v1.evt.job.0191c2a4-0000-7000-8000-000000000001.cancel_requested"
        );
        assert_eq!(
            s.job_event_filter(JobEventKind::Requested),
            "bencher.v1.evt.job.*.requested"
        );
        let spec: Slug = "default".parse().unwrap();
        assert_eq!(
            s.dispatch(&spec, Priority::Plus),
            "bencher.v1.dispatch.default.plus"
        );
        assert_eq!(
            s.status(job),
            "bencher.v1.status.0191c2a4-0000-7000-8000-000000000001"
        );
    }

    #[test]
    fn tells_job_events_from_report_events() {
        let s = Subjects::default();
        let job = JobUuid::new();
        let report = ReportUuid::new();
        assert!(s.is_job_event(&s.job_event(job, JobEventKind::Processed)));
        assert!(!s.is_job_event(&s.report_event(report, ReportEventKind::Processed)));
        assert!(!s.is_job_event(&s.alert_raised(ProjectUuid::new())));
        assert!(!s.is_job_event("other.v1.evt.job.x.processed"));
    }

    #[test]
    fn serde_names_match_subject_tokens() {
        for kind in JobEventKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn prefix_must_be_one_token() {
        for bad in ["", "a.b", "a*", "a>", "a b", &"x".repeat(33)] {
            assert!(Subjects::new(bad).is_err(), "{bad:?} accepted");
        }
        let s = Subjects::new("bench-dev").unwrap();
        assert_eq!(s.name_prefix(), "BENCH_DEV");
    }
}
