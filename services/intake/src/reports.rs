//! `GET /v0/projects/{project}/reports/{report}`: a report with the results, boundaries and
//! alerts the result-processor stored (empty until it processed the report) and, for an image
//! run, its job.

use axum::Json;
use axum::extract::{Path, State};
use bencher_db::queries::intake::views::report_in_project;
use bencher_wire::ids::ReportUuid;
use bencher_wire::json::JsonReport;

use crate::error::IntakeError;
use crate::jobs::project_from_path;
use crate::state::IntakeState;
use crate::view::{job_json, report_detail_json};

/// `GET /v0/projects/{project}/reports/{report}`.
pub async fn view(
    State(state): State<IntakeState>,
    Path((project, report)): Path<(String, String)>,
) -> Result<Json<JsonReport>, IntakeError> {
    let found = project_from_path(&state, &project).await?;
    let uuid: ReportUuid =
        report
            .parse()
            .map_err(|e: bencher_wire::ValidationError| IntakeError::Invalid {
                field: Some("report".to_owned()),
                message: e.to_string(),
            })?;
    let detail = report_in_project(state.db(), &found, uuid)
        .await?
        .ok_or_else(|| IntakeError::NotFound {
            what: "report",
            key: report.clone(),
        })?;
    let job = match &detail.job {
        Some(row) => Some(job_json(
            row,
            Some(state.watch(&project, row.job.uuid.into())),
            None,
        )?),
        None => None,
    };
    Ok(Json(report_detail_json(&detail, job)?))
}
