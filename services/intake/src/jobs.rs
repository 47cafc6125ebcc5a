//! Jobs of a project: `GET /v0/projects/{p}/jobs` (newest first, `page`/`per_page`, total in
//! `X-Total-Count`), `GET /v0/projects/{p}/jobs/{j}` (with the output once the job finished;
//! `?output=false` leaves it out) and `POST /v0/projects/{p}/jobs/{j}/cancel`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use bencher_db::entities::project;
use bencher_db::parse_job_status;
use bencher_db::queries::intake::target::project_by_resource;
use bencher_db::queries::intake::views::{JobRow, job_in_project, list_jobs};
use bencher_wire::ids::JobUuid;
use bencher_wire::json::JsonJob;
use bencher_wire::msg::{JobEvent, JobEventMessage};
use bencher_wire::status::{Actor, JobStatus};
use bencher_wire::values::ResourceId;
use serde::Deserialize;
use tracing::info;

use crate::error::IntakeError;
use crate::extract::ClientAddr;
use crate::output::job_output;
use crate::state::IntakeState;
use crate::view::job_json;

/// The default page size of listings.
pub const DEFAULT_PER_PAGE: u64 = 25;
/// The largest page size (Bencher's).
pub const MAX_PER_PAGE: u64 = 255;

/// Pagination of listings.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Pagination {
    /// The page, from 1.
    pub page: Option<u64>,
    /// Items per page, 1 to [`MAX_PER_PAGE`].
    pub per_page: Option<u64>,
}

/// Options of a job view.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct ViewOptions {
    /// Include the output of a finished job (default true).
    pub output: Option<bool>,
}

/// The project named in a path, or 404.
pub async fn project_from_path(
    state: &IntakeState,
    project: &str,
) -> Result<project::Model, IntakeError> {
    let id = ResourceId::parse(project).map_err(|e| IntakeError::Invalid {
        field: Some("project".to_owned()),
        message: e.to_string(),
    })?;
    project_by_resource(state.db(), &id)
        .await?
        .ok_or_else(|| IntakeError::NotFound {
            what: "project",
            key: project.to_owned(),
        })
}

/// The job of the project named in a path, or 404.
pub async fn job_from_path(
    state: &IntakeState,
    project: &project::Model,
    job: &str,
) -> Result<JobRow, IntakeError> {
    let uuid: JobUuid =
        job.parse()
            .map_err(|e: bencher_wire::ValidationError| IntakeError::Invalid {
                field: Some("job".to_owned()),
                message: e.to_string(),
            })?;
    job_in_project(state.db(), project.id, uuid)
        .await?
        .ok_or_else(|| IntakeError::NotFound {
            what: "job",
            key: job.to_owned(),
        })
}

/// `GET /v0/projects/{project}/jobs`.
pub async fn list(
    State(state): State<IntakeState>,
    Path(project): Path<String>,
    query: Result<Query<Pagination>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<JsonJob>>), IntakeError> {
    let Query(pagination) = query.map_err(|e| IntakeError::Invalid {
        field: Some("query".to_owned()),
        message: e.body_text(),
    })?;
    let per_page = pagination.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(IntakeError::Invalid {
            field: Some("per_page".to_owned()),
            message: format!("invalid per_page: {per_page}, use 1 to {MAX_PER_PAGE}"),
        });
    }
    let page = pagination.page.unwrap_or(1).max(1);
    let found = project_from_path(&state, &project).await?;
    let listed = list_jobs(state.db(), found.id, page, per_page).await?;
    let jobs = listed
        .jobs
        .iter()
        .map(|row| job_json(row, Some(state.watch(&project, row.job.uuid.into())), None))
        .collect::<Result<Vec<_>, _>>()?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(listed.total));
    Ok((headers, Json(jobs)))
}

/// `GET /v0/projects/{project}/jobs/{job}`.
pub async fn view(
    State(state): State<IntakeState>,
    Path((project, job)): Path<(String, String)>,
    query: Result<Query<ViewOptions>, QueryRejection>,
) -> Result<Json<JsonJob>, IntakeError> {
    let Query(options) = query.map_err(|e| IntakeError::Invalid {
        field: Some("query".to_owned()),
        message: e.body_text(),
    })?;
    let found = project_from_path(&state, &project).await?;
    let row = job_from_path(&state, &found, &job).await?;
    let status = parse_job_status(&row.job.status)?;
    let finished = status.is_terminal() || status == JobStatus::Completed;
    let output = if finished && options.output.unwrap_or(true) {
        job_output(&state, row.job.output.as_ref()).await?
    } else {
        None
    };
    let watch = state.watch(&project, row.job.uuid.into());
    Ok(Json(job_json(&row, Some(watch), output)?))
}

/// `POST /v0/projects/{project}/jobs/{job}/cancel`: publishes `cancel_requested` (the scheduler
/// acts on it) and answers 202 with the job. Asking again while the job still runs is accepted
/// again (the event is deduplicated); a finished job answers 409.
pub async fn cancel(
    State(state): State<IntakeState>,
    ClientAddr(source_ip): ClientAddr,
    Path((project, job)): Path<(String, String)>,
) -> Result<(StatusCode, Json<JsonJob>), IntakeError> {
    let found = project_from_path(&state, &project).await?;
    let row = job_from_path(&state, &found, &job).await?;
    let status = parse_job_status(&row.job.status)?;
    if status.is_terminal() || status == JobStatus::Completed {
        return Err(IntakeError::Conflict(format!(
            "job {job} is already {status}: nothing to cancel"
        )));
    }
    let uuid = JobUuid::from(row.job.uuid);
    let message = JobEventMessage::new(
        uuid,
        JobEvent::CancelRequested {
            by: Actor::Anonymous { source_ip },
        },
    );
    let payload = serde_json::to_vec(&message)?;
    let published = bencher_runtime::publish_deduplicated(
        &state.ctx().js,
        &message.subject(state.subjects()),
        &message.msg_id(),
        payload.into(),
        None,
    )
    .await?;
    info!(job = %uuid, duplicate = published.duplicate, "job cancel requested");
    let watch = state.watch(&project, uuid);
    Ok((
        StatusCode::ACCEPTED,
        Json(job_json(&row, Some(watch), None)?),
    ))
}
