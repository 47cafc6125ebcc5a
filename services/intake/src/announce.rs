//! The creation events intake publishes — `job.requested` for image runs, `report.submitted`
//! for the local flow — built from the committed rows, so a request and the outbox publish the
//! same event under the same `Nats-Msg-Id`.

use std::net::IpAddr;
use std::time::Duration;

use bencher_db::entities::{job, report};
use bencher_db::queries::intake::outbox::{UnannouncedJob, UnannouncedReport};
use bencher_db::queries::intake::outbox::{mark_job_announced, mark_report_announced};
use bencher_runtime::publish::{PublishRetry, Published, publish_deduplicated_with};
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, ReportUuid};
use bencher_wire::json::{Adapter, JsonRunSettings};
use bencher_wire::msg::{JobConfig, JobEvent, JobEventMessage, ReportEvent, ReportEventMessage};
use bencher_wire::values::{ResourceId, Timeout};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::IntakeError;
use crate::state::IntakeState;
use crate::view::parse_text;

/// What `job.config` holds: the wire [`JobConfig`] plus the spec and timeout the user asked
/// for (the resolver decides the real ones), so the `requested` event can be rebuilt from the row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredJobConfig {
    /// Overrides and options of the run.
    #[serde(flatten)]
    pub config: JobConfig,
    /// The spec the user asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_spec: Option<ResourceId>,
    /// The timeout the user asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_timeout: Option<Timeout>,
}

/// What a local-flow report's `results_ref` holds: the raw harness output.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResults {
    /// Always `inline`: the results are in the row.
    pub kind: String,
    /// Raw harness output, one string per iteration.
    pub results: Vec<String>,
}

impl StoredResults {
    /// Results stored in the row.
    pub fn inline(results: Vec<String>) -> Self {
        Self {
            kind: "inline".to_owned(),
            results,
        }
    }
}

/// The longest a job may run before resolution, by tier (the resolver clamps again).
pub fn default_timeout(priority: Priority) -> Result<Timeout, IntakeError> {
    let secs = match priority {
        Priority::Unclaimed => 60,
        Priority::Free => 300,
        Priority::Plus => 3600,
    };
    Ok(Timeout::new(secs)?)
}

/// The settings a report was created with.
pub fn report_settings(report: &report::Model) -> Result<JsonRunSettings, IntakeError> {
    Ok(JsonRunSettings {
        adapter: Some(parse_text::<Adapter>("adapter", &report.adapter)?),
        average: report
            .average
            .as_deref()
            .map(|a| parse_text("average", a))
            .transpose()?,
        fold: report
            .fold
            .as_deref()
            .map(|f| parse_text("fold", f))
            .transpose()?,
    })
}

/// The `requested` event of a committed job.
pub fn requested_event(row: &UnannouncedJob) -> Result<JobEventMessage, IntakeError> {
    let job: &job::Model = &row.job;
    let stored: StoredJobConfig = serde_json::from_value(job.config.clone())?;
    let source_ip = job
        .source_ip
        .as_deref()
        .and_then(|ip| ip.parse::<IpAddr>().ok());
    let mut message = JobEventMessage::new(
        JobUuid::from(job.uuid),
        JobEvent::Requested {
            report: ReportUuid::from(row.report.uuid),
            project: row.project.uuid.into(),
            organization: row.organization.uuid.into(),
            testbed: row.testbed.uuid.into(),
            priority: Priority::from_value(job.priority),
            source_ip,
            image: parse_text("image", &job.image)?,
            spec: stored.requested_spec,
            timeout: stored.requested_timeout,
            settings: report_settings(&row.report)?,
            config: stored.config,
        },
    );
    message.at = job.created;
    Ok(message)
}

/// The `submitted` event of a committed local-flow report.
pub fn submitted_event(row: &UnannouncedReport) -> Result<ReportEventMessage, IntakeError> {
    let report = &row.report;
    let stored: StoredResults =
        serde_json::from_value(report.results_ref.clone().unwrap_or_default())?;
    let settings = report_settings(report)?;
    let mut message = ReportEventMessage::new(
        ReportUuid::from(report.uuid),
        ReportEvent::Submitted {
            project: row.project.uuid.into(),
            branch: row.branch.uuid.into(),
            testbed: row.testbed.uuid.into(),
            adapter: settings.adapter(),
            average: settings.average,
            fold: settings.fold,
            results: stored.results,
        },
    );
    message.at = report.created;
    Ok(message)
}

/// Publish a job's `requested` event and stamp it announced.
pub async fn announce_job(
    state: &IntakeState,
    row: &UnannouncedJob,
    deadline: Duration,
) -> Result<Published, IntakeError> {
    let message = requested_event(row)?;
    let payload = serde_json::to_vec(&message)?;
    let published = publish(
        state,
        &message.subject(state.subjects()),
        &message.msg_id(),
        payload,
        deadline,
    )
    .await?;
    mark_job_announced(state.db(), row.job.id).await?;
    Ok(published)
}

/// Publish a report's `submitted` event and stamp it announced.
pub async fn announce_report(
    state: &IntakeState,
    row: &UnannouncedReport,
    deadline: Duration,
) -> Result<Published, IntakeError> {
    let message = submitted_event(row)?;
    let payload = serde_json::to_vec(&message)?;
    let published = publish(
        state,
        &message.subject(state.subjects()),
        &message.msg_id(),
        payload,
        deadline,
    )
    .await?;
    mark_report_announced(state.db(), row.report.id).await?;
    Ok(published)
}

async fn publish(
    state: &IntakeState,
    subject: &str,
    msg_id: &str,
    payload: Vec<u8>,
    deadline: Duration,
) -> Result<Published, IntakeError> {
    let retry = PublishRetry {
        attempt_timeout: deadline.min(PublishRetry::default().attempt_timeout),
        deadline,
    };
    Ok(publish_deduplicated_with(
        &state.ctx().js,
        subject,
        msg_id,
        Bytes::from(payload),
        None,
        retry,
    )
    .await?)
}
