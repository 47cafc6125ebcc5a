//! `POST /v0/run`: accept a run. Creates (or finds) the project, branch and testbed, applies the
//! run's thresholds, commits the report (and the job, for an image run) in one transaction, then
//! announces it: `job.requested`, or `report.submitted` with the raw results for the local flow.
//! A publish that fails after the commit is left to the outbox ([`crate::outbox`]): the client
//! still gets 201, because the row is committed and will be announced.

use axum::Json;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use bencher_db::queries::intake::outbox::{UnannouncedJob, UnannouncedReport};
use bencher_db::queries::intake::target::{RunTargetRequest, resolve_run_target};
use bencher_db::queries::intake::thresholds::upsert_run_thresholds;
use bencher_db::queries::job::{NewJob, NewReport, create_report_with_job};
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, ReportUuid};
use bencher_wire::json::{JsonNewRun, JsonReport};
use bencher_wire::msg::JobConfig;
use chrono::Utc;
use tracing::{info, warn};

use crate::announce::{
    StoredJobConfig, StoredResults, announce_job, announce_report, default_timeout,
};
use crate::error::IntakeError;
use crate::extract::{ClientAddr, JsonBody};
use crate::state::IntakeState;
use crate::view::{ReportHead, job_json, report_json};

/// `POST /v0/run`.
#[tracing::instrument(skip_all, fields(project))]
pub async fn post_run(
    State(state): State<IntakeState>,
    ClientAddr(source_ip): ClientAddr,
    JsonBody(run): JsonBody<JsonNewRun>,
) -> Result<(StatusCode, HeaderMap, Json<JsonReport>), IntakeError> {
    run.validate()?;
    if run.job.is_none() {
        check_submitted_size(&state, &run)?;
    }
    let db = state.db();
    let target = resolve_run_target(
        db,
        &RunTargetRequest {
            project: run.project.clone(),
            branch: run.branch.clone(),
            testbed: run.testbed.clone(),
        },
    )
    .await?;
    tracing::Span::current().record("project", target.project.slug.as_str());
    if let Some(thresholds) = run
        .thresholds
        .as_ref()
        .filter(|t| !t.models.is_empty() || t.reset == Some(true))
    {
        upsert_run_thresholds(
            db,
            target.project.id,
            target.branch.id,
            target.testbed.id,
            &thresholds.models,
            thresholds.reset.unwrap_or(false),
        )
        .await?;
    }
    let settings = run.settings.unwrap_or_default();
    let start_time = run.start_time.unwrap_or_else(Utc::now);
    let priority = Priority::from_value(target.organization.priority);
    let new_report = NewReport {
        uuid: ReportUuid::new(),
        project_id: target.project.id,
        branch_id: target.branch.id,
        testbed_id: target.testbed.id,
        hash: run.hash.as_ref().map(ToString::to_string),
        start_time,
        end_time: run.end_time.unwrap_or(start_time),
        adapter: settings.adapter().as_str().to_owned(),
        average: settings.average.map(|a| a.as_str().to_owned()),
        fold: settings.fold.map(|f| f.as_str().to_owned()),
        results_ref: match run.job {
            Some(_) => None,
            None => Some(serde_json::to_value(StoredResults::inline(
                run.results.clone(),
            ))?),
        },
    };
    let new_job = match &run.job {
        Some(job) => {
            let stored = StoredJobConfig {
                config: JobConfig::from(job),
                requested_spec: job.spec.clone(),
                requested_timeout: job.timeout,
            };
            let tier_max = default_timeout(priority)?;
            Some(NewJob {
                uuid: JobUuid::new(),
                organization_id: target.organization.id,
                priority,
                image: job.image.to_string(),
                config: serde_json::to_value(&stored)?,
                timeout: i32::try_from(
                    job.timeout.map_or(tier_max, |t| t.clamp_to(tier_max)).get(),
                )
                .unwrap_or(i32::MAX),
                source_ip: source_ip.map(|ip| ip.to_string()),
            })
        }
        None => None,
    };
    let (report, job) = create_report_with_job(db, new_report, new_job).await?;
    let deadline = state.options().publish_deadline;
    let project_key = target.project.slug.clone();
    let job_json = match job {
        Some(job) => {
            let row = UnannouncedJob {
                job,
                report: report.clone(),
                project: target.project.clone(),
                organization: target.organization.clone(),
                testbed: target.testbed.clone(),
            };
            let job_uuid = JobUuid::from(row.job.uuid);
            match announce_job(&state, &row, deadline).await {
                Ok(published) => {
                    info!(job = %job_uuid, sequence = published.sequence, "job requested");
                }
                Err(err) => {
                    warn!(job = %job_uuid, error = %err, "job committed but not announced yet, the outbox will retry");
                }
            }
            let view = bencher_db::queries::intake::views::JobRow {
                report: ReportUuid::from(report.uuid),
                spec: None,
                runner: None,
                job: row.job,
            };
            Some(job_json(
                &view,
                Some(state.watch(&project_key, job_uuid)),
                None,
            )?)
        }
        None => {
            let row = UnannouncedReport {
                report: report.clone(),
                project: target.project.clone(),
                branch: target.branch.clone(),
                testbed: target.testbed.clone(),
            };
            match announce_report(&state, &row, deadline).await {
                Ok(_) => info!(report = %report.uuid, "report submitted"),
                Err(err) => {
                    warn!(report = %report.uuid, error = %err, "report committed but not announced yet, the outbox will retry");
                }
            }
            None
        }
    };
    let head = ReportHead {
        report: &report,
        project: &target.project,
        branch: &target.branch,
        testbed: &target.testbed,
    };
    let body = report_json(&head, job_json)?;
    let mut headers = HeaderMap::new();
    let location = format!(
        "{}/v0/projects/{}/reports/{}",
        state.public().http.trim_end_matches('/'),
        project_key,
        report.uuid
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(LOCATION, value);
    }
    Ok((StatusCode::CREATED, headers, Json(body)))
}

/// A local-flow report travels whole in `report.submitted`: refuse before committing what NATS
/// would refuse to carry.
fn check_submitted_size(state: &IntakeState, run: &JsonNewRun) -> Result<(), IntakeError> {
    let max_payload = state.ctx().nats.server_info().max_payload;
    // The results plus the envelope (ids, settings, headers).
    let size = serde_json::to_vec(&run.results)?.len() + 2048;
    if max_payload > 0 && size > max_payload {
        return Err(IntakeError::Invalid {
            field: Some("results".to_owned()),
            message: format!(
                "invalid results: about {size} bytes, more than the {max_payload} bytes a message may carry"
            ),
        });
    }
    Ok(())
}
