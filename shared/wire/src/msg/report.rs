//! Report and alert events: on `<p>.v1.evt.report.<report>.<event>` and
//! `<p>.v1.evt.alert.<project>.raised`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::schema::SchemaV1;
use crate::ids::{BranchUuid, JobUuid, ProjectUuid, ReportUuid, TestbedUuid};
use crate::json::{Adapter, Average, Fold, JsonAlert};
use crate::nats::{ReportEventKind, Subjects};

/// One event of a report: `{"schema":"bencher.v1","report":...,"at":...,"event":"...",...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportEventMessage {
    /// Always `bencher.v1`.
    pub schema: SchemaV1,
    /// The report.
    pub report: ReportUuid,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub event: ReportEvent,
}

impl ReportEventMessage {
    /// An event of `report` observed now.
    pub fn new(report: ReportUuid, event: ReportEvent) -> Self {
        Self {
            schema: SchemaV1,
            report,
            at: Utc::now(),
            event,
        }
    }

    /// The kind of event.
    pub fn kind(&self) -> ReportEventKind {
        match self.event {
            ReportEvent::Submitted { .. } => ReportEventKind::Submitted,
            ReportEvent::Processed { .. } => ReportEventKind::Processed,
        }
    }

    /// `<p>.v1.evt.report.<report>.<event>`.
    pub fn subject(&self, subjects: &Subjects) -> String {
        subjects.report_event(self.report, self.kind())
    }

    /// The `Nats-Msg-Id`: `<report>:<event>`.
    pub fn msg_id(&self) -> String {
        format!("{}:{}", self.report, self.kind())
    }
}

/// What happened to a report, tagged `"event"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ReportEvent {
    /// Intake stored a report with raw results to parse (local flow; published by intake).
    Submitted {
        /// The project.
        project: ProjectUuid,
        /// The branch.
        branch: BranchUuid,
        /// The testbed.
        testbed: TestbedUuid,
        /// The adapter to parse with.
        adapter: Adapter,
        /// The statistic to use, when the harness reports several.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        average: Option<Average>,
        /// How to fold iterations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fold: Option<Fold>,
        /// Raw harness output, one string per iteration.
        results: Vec<String>,
    },
    /// Metrics, boundaries and alerts are stored (published by the result-processor, for every
    /// report; image runs also get a job `processed` event).
    Processed {
        /// The project.
        project: ProjectUuid,
        /// The job that produced the results, for image runs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<JobUuid>,
        /// Metrics stored.
        metrics: u32,
        /// Alerts raised.
        alerts: u32,
    },
}

/// An alert was raised, on `<p>.v1.evt.alert.<project>.raised` (published by the
/// result-processor; the notifier delivers webhooks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRaised {
    /// Always `bencher.v1`.
    pub schema: SchemaV1,
    /// The project.
    pub project: ProjectUuid,
    /// When it was raised.
    pub at: DateTime<Utc>,
    /// The alert.
    pub alert: JsonAlert,
}

impl AlertRaised {
    /// `<p>.v1.evt.alert.<project>.raised`.
    pub fn subject(&self, subjects: &Subjects) -> String {
        subjects.alert_raised(self.project)
    }

    /// The `Nats-Msg-Id`: `<alert>:raised`.
    pub fn msg_id(&self) -> String {
        format!("{}:raised", self.alert.uuid)
    }
}
