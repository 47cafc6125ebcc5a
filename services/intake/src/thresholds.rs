//! Thresholds of a project (Bencher's shapes):
//!
//! | Method and path | Answer |
//! |---|---|
//! | `GET /v0/projects/{p}/thresholds?branch=&testbed=&measure=&page=&per_page=` | `[JsonThreshold]`, newest first, `X-Total-Count` |
//! | `POST /v0/projects/{p}/thresholds` (`JsonNewThreshold`) | 201 `JsonThreshold`; 404 for a missing branch, testbed or measure; 409 when it exists |
//! | `GET /v0/projects/{p}/thresholds/{t}` | `JsonThreshold` |
//! | `PUT /v0/projects/{p}/thresholds/{t}` (`JsonThresholdModel`) | `JsonThreshold` with a new model version (the old one kept, marked replaced) |
//! | `DELETE /v0/projects/{p}/thresholds/{t}` | 204; its boundaries and alerts go with it |
//!
//! Models are validated with the one rule set (`bencher-stats`, through
//! [`JsonThresholdModel::validate`]): a bad model answers 400 with the field named.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use bencher_db::entities::project;
use bencher_db::queries::thresholds::{
    CreatedThreshold, ThresholdFilter, ThresholdRow, create_threshold, delete_threshold,
    list_thresholds, threshold_in_project, update_threshold,
};
use bencher_wire::ids::ThresholdUuid;
use bencher_wire::json::{
    JsonMeasure, JsonModel, JsonNewThreshold, JsonResourceRef, JsonThreshold, JsonThresholdModel,
};
use bencher_wire::values::NameId;
use serde::Deserialize;
use tracing::info;

use crate::error::IntakeError;
use crate::extract::JsonBody;
use crate::jobs::{DEFAULT_PER_PAGE, MAX_PER_PAGE, project_from_path};
use crate::state::IntakeState;
use crate::view::parse_text;

/// The query of a threshold listing.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ThresholdQuery {
    /// Only this branch (UUID, slug or name).
    pub branch: Option<NameId>,
    /// Only this testbed.
    pub testbed: Option<NameId>,
    /// Only this measure.
    pub measure: Option<NameId>,
    /// The page, from 1.
    pub page: Option<u64>,
    /// Items per page, 1 to [`MAX_PER_PAGE`].
    pub per_page: Option<u64>,
}

/// `page` and `per_page` of a listing, checked: (page from 1, per page).
pub fn page_of(page: Option<u64>, per_page: Option<u64>) -> Result<(u64, u64), IntakeError> {
    let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(IntakeError::Invalid {
            field: Some("per_page".to_owned()),
            message: format!("invalid per_page: {per_page}, use 1 to {MAX_PER_PAGE}"),
        });
    }
    Ok((page.unwrap_or(1).max(1), per_page))
}

/// A query string refused by its type, naming the parameter when serde did.
pub fn invalid_query(rejection: &QueryRejection) -> IntakeError {
    IntakeError::Invalid {
        field: Some("query".to_owned()),
        message: rejection.body_text(),
    }
}

/// `GET /v0/projects/{project}/thresholds`.
pub async fn list(
    State(state): State<IntakeState>,
    Path(project): Path<String>,
    query: Result<Query<ThresholdQuery>, QueryRejection>,
) -> Result<(HeaderMap, Json<Vec<JsonThreshold>>), IntakeError> {
    let Query(query) = query.map_err(|e| invalid_query(&e))?;
    let (page, per_page) = page_of(query.page, query.per_page)?;
    let found = project_from_path(&state, &project).await?;
    let filter = ThresholdFilter {
        branch: query.branch,
        testbed: query.testbed,
        measure: query.measure,
    };
    let listed = list_thresholds(state.db(), found.id, &filter, page, per_page).await?;
    let thresholds = listed
        .thresholds
        .iter()
        .map(|row| threshold_json(&found, row))
        .collect::<Result<Vec<_>, _>>()?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(listed.total));
    Ok((headers, Json(thresholds)))
}

/// `POST /v0/projects/{project}/thresholds`.
pub async fn create(
    State(state): State<IntakeState>,
    Path(project): Path<String>,
    JsonBody(new): JsonBody<JsonNewThreshold>,
) -> Result<(StatusCode, Json<JsonThreshold>), IntakeError> {
    new.model.validate()?;
    let found = project_from_path(&state, &project).await?;
    let ids = (&new.branch, &new.testbed, &new.measure);
    match create_threshold(state.db(), found.id, ids, &new.model).await? {
        CreatedThreshold::Created(row) => {
            info!(project = %found.slug, threshold = %row.threshold.uuid, "threshold created");
            Ok((StatusCode::CREATED, Json(threshold_json(&found, &row)?)))
        }
        CreatedThreshold::Exists(row) => Err(IntakeError::Conflict(format!(
            "branch {}, testbed {} and measure {} already have threshold {}: update it instead",
            new.branch, new.testbed, new.measure, row.threshold.uuid
        ))),
    }
}

/// `GET /v0/projects/{project}/thresholds/{threshold}`.
pub async fn view(
    State(state): State<IntakeState>,
    Path((project, threshold)): Path<(String, String)>,
) -> Result<Json<JsonThreshold>, IntakeError> {
    let found = project_from_path(&state, &project).await?;
    let uuid = threshold_uuid(&threshold)?;
    let row = threshold_in_project(state.db(), found.id, uuid.as_uuid())
        .await?
        .ok_or_else(|| not_found(&threshold))?;
    Ok(Json(threshold_json(&found, &row)?))
}

/// `PUT /v0/projects/{project}/thresholds/{threshold}`.
pub async fn update(
    State(state): State<IntakeState>,
    Path((project, threshold)): Path<(String, String)>,
    JsonBody(model): JsonBody<JsonThresholdModel>,
) -> Result<Json<JsonThreshold>, IntakeError> {
    model.validate()?;
    let found = project_from_path(&state, &project).await?;
    let uuid = threshold_uuid(&threshold)?;
    let row = update_threshold(state.db(), found.id, uuid.as_uuid(), &model)
        .await?
        .ok_or_else(|| not_found(&threshold))?;
    info!(project = %found.slug, threshold = %uuid, test = %model.test, "threshold updated");
    Ok(Json(threshold_json(&found, &row)?))
}

/// `DELETE /v0/projects/{project}/thresholds/{threshold}`.
pub async fn delete(
    State(state): State<IntakeState>,
    Path((project, threshold)): Path<(String, String)>,
) -> Result<StatusCode, IntakeError> {
    let found = project_from_path(&state, &project).await?;
    let uuid = threshold_uuid(&threshold)?;
    if !delete_threshold(state.db(), found.id, uuid.as_uuid()).await? {
        return Err(not_found(&threshold));
    }
    info!(project = %found.slug, threshold = %uuid, "threshold deleted");
    Ok(StatusCode::NO_CONTENT)
}

fn threshold_uuid(text: &str) -> Result<ThresholdUuid, IntakeError> {
    text.parse()
        .map_err(|e: bencher_wire::ValidationError| IntakeError::Invalid {
            field: Some("threshold".to_owned()),
            message: e.to_string(),
        })
}

fn not_found(threshold: &str) -> IntakeError {
    IntakeError::NotFound {
        what: "threshold",
        key: threshold.to_owned(),
    }
}

fn size(value: Option<i64>) -> Result<Option<u32>, IntakeError> {
    value
        .map(|v| {
            u32::try_from(v).map_err(|_| {
                IntakeError::Db(bencher_db::DbError::UnknownValue {
                    what: "sample size",
                    value: v.to_string(),
                })
            })
        })
        .transpose()
}

/// A threshold row as JSON.
pub fn threshold_json(
    project: &project::Model,
    row: &ThresholdRow,
) -> Result<JsonThreshold, IntakeError> {
    let t = &row.threshold;
    let model = match &row.model {
        Some(m) => Some(JsonModel {
            uuid: m.uuid.into(),
            threshold: t.uuid.into(),
            model: JsonThresholdModel {
                test: parse_text("threshold test", &m.test)?,
                min_sample_size: size(m.min_sample_size)?,
                max_sample_size: size(m.max_sample_size)?,
                window: size(m.window)?,
                lower_boundary: m.lower_boundary,
                upper_boundary: m.upper_boundary,
            },
            created: m.created,
            replaced: m.replaced,
        }),
        None => None,
    };
    Ok(JsonThreshold {
        uuid: t.uuid.into(),
        project: project.uuid.into(),
        branch: JsonResourceRef {
            uuid: row.branch.uuid.into(),
            name: parse_text("branch name", &row.branch.name)?,
            slug: parse_text("branch slug", &row.branch.slug)?,
        },
        testbed: JsonResourceRef {
            uuid: row.testbed.uuid.into(),
            name: parse_text("testbed name", &row.testbed.name)?,
            slug: parse_text("testbed slug", &row.testbed.slug)?,
        },
        measure: JsonMeasure {
            uuid: row.measure.uuid.into(),
            name: parse_text("measure name", &row.measure.name)?,
            slug: parse_text("measure slug", &row.measure.slug)?,
            units: row.measure.units.clone(),
        },
        model,
        created: t.created,
        modified: t.modified,
    })
}
