//! Alerts of a project:
//!
//! | Method and path | Answer |
//! |---|---|
//! | `GET /v0/projects/{p}/alerts?status=active\|dismissed\|silenced&page=&per_page=` | `[JsonAlert]`, newest first, `X-Total-Count` |
//! | `GET /v0/projects/{p}/alerts/{a}` | `JsonAlert` |
//! | `PATCH /v0/projects/{p}/alerts/{a}` (`JsonUpdateAlert`, `{"status": "dismissed"}`) | `JsonAlert` |
//!
//! A user may dismiss an alert or make it active again; `silenced` is the system's.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use bencher_db::queries::alerts::{AlertRow, alert_in_project, list_alerts, set_alert_status};
use bencher_wire::ids::AlertUuid;
use bencher_wire::json::{
    AlertStatus, JsonAlert, JsonBenchmark, JsonBoundary, JsonMeasure, JsonReportMetric,
    JsonUpdateAlert,
};
use serde::Deserialize;
use tracing::info;

use crate::error::IntakeError;
use crate::extract::JsonBody;
use crate::jobs::project_from_path;
use crate::state::IntakeState;
use crate::thresholds::{invalid_query, page_of};
use crate::view::parse_text;

/// The query of an alert listing.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct AlertQuery {
    /// Only alerts with this status.
    pub status: Option<AlertStatus>,
    /// The page, from 1.
    pub page: Option<u64>,
    /// Items per page.
    pub per_page: Option<u64>,
}

/// The stored status of a wire status.
fn db_status(status: AlertStatus) -> bencher_db::AlertStatus {
    match status {
        AlertStatus::Active => bencher_db::AlertStatus::Active,
        AlertStatus::Dismissed => bencher_db::AlertStatus::Dismissed,
        AlertStatus::Silenced => bencher_db::AlertStatus::Silenced,
    }
}

/// `GET /v0/projects/{project}/alerts`.
pub async fn list(
    State(state): State<IntakeState>,
    Path(project): Path<String>,
    query: Result<Query<AlertQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<JsonAlert>>), IntakeError> {
    let Query(query) = query.map_err(|e| invalid_query(&e))?;
    let (page, per_page) = page_of(query.page, query.per_page)?;
    let found = project_from_path(&state, &project).await?;
    let status = query.status.map(db_status);
    let listed = list_alerts(state.db(), found.id, status, page, per_page).await?;
    let alerts = listed
        .alerts
        .iter()
        .map(alert_json)
        .collect::<Result<Vec<_>, _>>()?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(listed.total));
    Ok((headers, Json(alerts)))
}

/// `GET /v0/projects/{project}/alerts/{alert}`.
pub async fn view(
    State(state): State<IntakeState>,
    Path((project, alert)): Path<(String, String)>,
) -> Result<Json<JsonAlert>, IntakeError> {
    let found = project_from_path(&state, &project).await?;
    let uuid = alert_uuid(&alert)?;
    let row = alert_in_project(state.db(), found.id, uuid.as_uuid())
        .await?
        .ok_or_else(|| not_found(&alert))?;
    Ok(Json(alert_json(&row)?))
}

/// `PATCH /v0/projects/{project}/alerts/{alert}`.
pub async fn update(
    State(state): State<IntakeState>,
    Path((project, alert)): Path<(String, String)>,
    JsonBody(patch): JsonBody<JsonUpdateAlert>,
) -> Result<Json<JsonAlert>, IntakeError> {
    let found = project_from_path(&state, &project).await?;
    let uuid = alert_uuid(&alert)?;
    let row = match patch.status {
        Some(status) => {
            let status = db_status(status.into());
            let row = set_alert_status(state.db(), found.id, uuid.as_uuid(), status).await?;
            if row.is_some() {
                info!(project = %found.slug, alert = %uuid, %status, "alert status set");
            }
            row
        }
        None => alert_in_project(state.db(), found.id, uuid.as_uuid()).await?,
    };
    Ok(Json(alert_json(&row.ok_or_else(|| not_found(&alert))?)?))
}

fn alert_uuid(text: &str) -> Result<AlertUuid, IntakeError> {
    text.parse()
        .map_err(|e: bencher_wire::ValidationError| IntakeError::Invalid {
            field: Some("alert".to_owned()),
            message: e.to_string(),
        })
}

fn not_found(alert: &str) -> IntakeError {
    IntakeError::NotFound {
        what: "alert",
        key: alert.to_owned(),
    }
}

/// An alert row as JSON.
pub fn alert_json(row: &AlertRow) -> Result<JsonAlert, IntakeError> {
    Ok(JsonAlert {
        uuid: row.alert_uuid.into(),
        report: row.report_uuid.into(),
        limit: parse_text("boundary limit", &row.boundary_limit)?,
        status: parse_text("alert status", &row.status)?,
        benchmark: JsonBenchmark {
            uuid: row.benchmark_uuid.into(),
            name: row.benchmark_name.clone(),
            slug: parse_text("benchmark slug", &row.benchmark_slug)?,
        },
        measure: JsonMeasure {
            uuid: row.measure_uuid.into(),
            name: parse_text("measure name", &row.measure_name)?,
            slug: parse_text("measure slug", &row.measure_slug)?,
            units: row.measure_units.clone(),
        },
        metric: JsonReportMetric {
            uuid: Some(row.metric_uuid.into()),
            value: row.value,
            lower_value: row.lower_value,
            upper_value: row.upper_value,
        },
        boundary: JsonBoundary {
            baseline: row.baseline,
            lower_limit: row.lower_limit,
            upper_limit: row.upper_limit,
        },
        created: row.created,
        modified: row.modified,
    })
}
