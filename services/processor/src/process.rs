//! The database side of processing one report, in one write transaction: claim the report
//! (its `processed` stamp), store benchmarks, measures and metrics, judge them against their
//! thresholds, write end time, raw results and failure, commit. A report already claimed is
//! not processed again: its stored outcome is read back instead, so events can be re-published.

use bencher_db::entities::report;
use bencher_db::queries::metrics::{get_or_create_measures, store_metrics};
use bencher_db::queries::processor::alerts::report_alerts;
use bencher_db::queries::processor::report::{
    ReportOutcome, claim_report, count_report_metrics, finish_report, project_by_id,
    report_by_uuid, report_state,
};
use bencher_db::{DatabaseConnection, begin_write};
use bencher_wire::ids::{ProjectUuid, ReportUuid};
use bencher_wire::json::JsonAlert;
use bencher_wire::status::FailureReason;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::alerts::json_alert;
use crate::error::ProcessorError;
use crate::judge::judge;
use crate::parse::{IterationOutput, ParseSettings, Parsed, parse_outputs};

/// What to store for a report.
#[derive(Clone, Debug)]
pub struct ReportWork {
    /// The report.
    pub report: report::Model,
    /// Its new end time (image runs: when the runner completed); `None` keeps the stored one.
    pub end_time: Option<DateTime<Utc>>,
    /// The raw results to keep on the report; `None` keeps the stored ones.
    pub results_ref: Option<Value>,
    /// The parsed metrics, or why there are none.
    pub parsed: Result<Parsed, FailureReason>,
}

/// How a report ended up.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Metrics are stored.
    Processed {
        /// The report's project.
        project: ProjectUuid,
        /// Metrics stored (every iteration counted).
        metrics: u32,
        /// Alerts raised on them.
        alerts: Vec<JsonAlert>,
    },
    /// The output gave no metrics.
    Failed {
        /// The report's project.
        project: ProjectUuid,
        /// Why.
        reason: FailureReason,
    },
}

impl Outcome {
    /// The report's project.
    pub fn project(&self) -> ProjectUuid {
        match self {
            Outcome::Processed { project, .. } | Outcome::Failed { project, .. } => *project,
        }
    }
}

/// The report settings stored on the report row.
pub fn parse_settings(report: &report::Model) -> Result<ParseSettings, ProcessorError> {
    let stored = |what: &'static str, value: &str| ProcessorError::Stored {
        what,
        value: value.to_owned(),
    };
    Ok(ParseSettings {
        adapter: report
            .adapter
            .parse()
            .map_err(|_| stored("adapter", &report.adapter))?,
        average: match &report.average {
            Some(a) => Some(a.parse().map_err(|_| stored("average", a))?),
            None => None,
        },
        fold: match &report.fold {
            Some(f) => Some(f.parse().map_err(|_| stored("fold", f))?),
            None => None,
        },
    })
}

/// Process a local report (`report.submitted`): parse `results` (one raw output per iteration)
/// with the report's settings and store them. Idempotent.
pub async fn process_local(
    db: &DatabaseConnection,
    report: ReportUuid,
    results: &[String],
) -> Result<Outcome, ProcessorError> {
    let report = report_by_uuid(db, report.as_uuid())
        .await?
        .ok_or_else(|| ProcessorError::malformed(format!("report {report} does not exist")))?;
    if let Some(done) = already_processed(db, &report).await? {
        return Ok(done);
    }
    let settings = parse_settings(&report)?;
    let outputs: Vec<IterationOutput> = results
        .iter()
        .map(|stdout| IterationOutput {
            stdout: stdout.clone(),
            ..IterationOutput::default()
        })
        .collect();
    let parsed =
        parse_outputs(settings, &outputs).map_err(|message| FailureReason::Parse { message });
    store_report(
        db,
        ReportWork {
            report,
            end_time: None,
            results_ref: None,
            parsed,
        },
    )
    .await
}

/// The stored outcome of a report already processed; `None` while it is not.
pub async fn already_processed(
    db: &DatabaseConnection,
    report: &report::Model,
) -> Result<Option<Outcome>, ProcessorError> {
    let state = report_state(db, report.id).await?;
    if state.processed.is_none() {
        return Ok(None);
    }
    let project = project_uuid(db, report.project_id).await?;
    if let Some(failure) = state.failure {
        let reason = serde_json::from_value(failure)?;
        return Ok(Some(Outcome::Failed { project, reason }));
    }
    let metrics = count_report_metrics(db, report.id).await?;
    let alerts = report_alerts(db, report.id)
        .await?
        .into_iter()
        .map(|row| json_alert(report.uuid.into(), row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Outcome::Processed {
        project,
        metrics: u32::try_from(metrics).unwrap_or(u32::MAX),
        alerts,
    }))
}

/// Store a report's results (or its failure) in one transaction. If another delivery claimed
/// the report first, nothing is written and its stored outcome is returned.
pub async fn store_report(
    db: &DatabaseConnection,
    work: ReportWork,
) -> Result<Outcome, ProcessorError> {
    let report = &work.report;
    let txn = begin_write(db).await?;
    if !claim_report(&txn, report.id).await? {
        txn.rollback().await.map_err(bencher_db::DbError::from)?;
        return already_processed(db, report)
            .await?
            .ok_or_else(|| ProcessorError::malformed(format!("report {} vanished", report.uuid)));
    }
    let project = project_uuid(&txn, report.project_id).await?;
    let mut outcome = ReportOutcome {
        end_time: work.end_time,
        results_ref: work.results_ref,
        failure: None,
    };
    let parsed = match work.parsed {
        Ok(parsed) => parsed,
        Err(reason) => {
            outcome.failure = Some(serde_json::to_value(&reason)?);
            finish_report(&txn, report.id, outcome).await?;
            txn.commit().await.map_err(bencher_db::DbError::from)?;
            return Ok(Outcome::Failed { project, reason });
        }
    };
    get_or_create_measures(&txn, report.project_id, &parsed.measures).await?;
    let stored = store_metrics(&txn, report.project_id, report.id, &parsed.metrics).await?;
    judge(&txn, report, &stored).await?;
    finish_report(&txn, report.id, outcome).await?;
    let alerts = report_alerts(&txn, report.id)
        .await?
        .into_iter()
        .map(|row| json_alert(report.uuid.into(), row))
        .collect::<Result<Vec<_>, _>>()?;
    txn.commit().await.map_err(bencher_db::DbError::from)?;
    Ok(Outcome::Processed {
        project,
        metrics: u32::try_from(stored.len()).unwrap_or(u32::MAX),
        alerts,
    })
}

async fn project_uuid<C: sea_orm::ConnectionTrait>(
    db: &C,
    project_id: i64,
) -> Result<ProjectUuid, ProcessorError> {
    let project = project_by_id(db, project_id)
        .await?
        .ok_or_else(|| ProcessorError::malformed(format!("project {project_id} does not exist")))?;
    Ok(project.uuid.into())
}
