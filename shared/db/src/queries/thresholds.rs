//! Threshold CRUD of the `/v0` API: list a project's thresholds (paginated, filtered by branch,
//! testbed and measure), view one, create one on existing resources, give one a new model
//! version (the old version is kept with `replaced` set), delete one (its model versions,
//! boundaries and alerts go with it, by the schema's cascades).
//!
//! Every write runs in one write transaction ([`begin_write`]); reads load the rows a listing
//! names with one `IN` query per table.

use std::collections::HashMap;

use bencher_wire::json::JsonThresholdModel;
use bencher_wire::values::NameId;
use chrono::Utc;
use sea_orm::prelude::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::connect::begin_write;
use crate::entities::{branch, measure, model, testbed, threshold};
use crate::error::DbError;

/// A threshold with the rows its public view names.
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdRow {
    /// The threshold.
    pub threshold: threshold::Model,
    /// Its branch.
    pub branch: branch::Model,
    /// Its testbed.
    pub testbed: testbed::Model,
    /// Its measure.
    pub measure: measure::Model,
    /// Its current model version; `None` once a reset retired it.
    pub model: Option<model::Model>,
}

/// One page of a project's thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdPage {
    /// The thresholds of the page, newest first.
    pub thresholds: Vec<ThresholdRow>,
    /// How many thresholds match in all.
    pub total: u64,
}

/// Which thresholds to list: those of this branch, testbed and measure (each by UUID, slug or
/// name) when given.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThresholdFilter {
    /// Only this branch.
    pub branch: Option<NameId>,
    /// Only this testbed.
    pub testbed: Option<NameId>,
    /// Only this measure.
    pub measure: Option<NameId>,
}

/// What [`create_threshold`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum CreatedThreshold {
    /// A new threshold (or one whose model a reset had retired, given a model again).
    Created(ThresholdRow),
    /// The branch, testbed and measure already have a threshold with a current model; nothing
    /// changed (update it instead).
    Exists(ThresholdRow),
}

/// Find a row of a project's branches, testbeds or measures by UUID, slug, then name.
macro_rules! find_by_name_id {
    ($db:expr, $entity:ident, $project_id:expr, $id:expr) => {{
        let query = $entity::Entity::find().filter($entity::Column::ProjectId.eq($project_id));
        match $id {
            NameId::Uuid(uuid) => {
                query
                    .filter($entity::Column::Uuid.eq(*uuid))
                    .one($db)
                    .await?
            }
            NameId::Slug(slug) => {
                match query
                    .clone()
                    .filter($entity::Column::Slug.eq(slug.as_str()))
                    .one($db)
                    .await?
                {
                    Some(found) => Some(found),
                    None => {
                        query
                            .filter($entity::Column::Name.eq(slug.as_str()))
                            .one($db)
                            .await?
                    }
                }
            }
            NameId::Name(name) => {
                query
                    .filter($entity::Column::Name.eq(name.as_str()))
                    .one($db)
                    .await?
            }
        }
    }};
}

/// The project's branch named by `id`, if any.
pub async fn find_branch<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    id: &NameId,
) -> Result<Option<branch::Model>, DbError> {
    Ok(find_by_name_id!(db, branch, project_id, id))
}

/// The project's testbed named by `id`, if any.
pub async fn find_testbed<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    id: &NameId,
) -> Result<Option<testbed::Model>, DbError> {
    Ok(find_by_name_id!(db, testbed, project_id, id))
}

/// The project's measure named by `id`, if any.
pub async fn find_measure<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    id: &NameId,
) -> Result<Option<measure::Model>, DbError> {
    Ok(find_by_name_id!(db, measure, project_id, id))
}

fn not_found(what: &'static str, id: &NameId) -> DbError {
    DbError::NotFound {
        what,
        key: id.to_string(),
    }
}

/// The project's thresholds matching `filter`, newest first; `page` counts from 1. A filter
/// naming a resource the project does not have matches nothing.
pub async fn list_thresholds<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    filter: &ThresholdFilter,
    page: u64,
    per_page: u64,
) -> Result<ThresholdPage, DbError> {
    let mut query = threshold::Entity::find().filter(threshold::Column::ProjectId.eq(project_id));
    let empty = ThresholdPage {
        thresholds: Vec::new(),
        total: 0,
    };
    if let Some(id) = &filter.branch {
        let Some(found) = find_branch(db, project_id, id).await? else {
            return Ok(empty);
        };
        query = query.filter(threshold::Column::BranchId.eq(found.id));
    }
    if let Some(id) = &filter.testbed {
        let Some(found) = find_testbed(db, project_id, id).await? else {
            return Ok(empty);
        };
        query = query.filter(threshold::Column::TestbedId.eq(found.id));
    }
    if let Some(id) = &filter.measure {
        let Some(found) = find_measure(db, project_id, id).await? else {
            return Ok(empty);
        };
        query = query.filter(threshold::Column::MeasureId.eq(found.id));
    }
    let total = query.clone().count(db).await?;
    let per_page = per_page.max(1);
    let rows = query
        .order_by_desc(threshold::Column::Created)
        .order_by_desc(threshold::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok(ThresholdPage {
        thresholds: threshold_rows(db, rows).await?,
        total,
    })
}

/// The project's threshold with this public id, if any.
pub async fn threshold_in_project<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    uuid: Uuid,
) -> Result<Option<ThresholdRow>, DbError> {
    let found = threshold::Entity::find()
        .filter(threshold::Column::ProjectId.eq(project_id))
        .filter(threshold::Column::Uuid.eq(uuid))
        .one(db)
        .await?;
    match found {
        Some(t) => Ok(threshold_rows(db, vec![t]).await?.pop()),
        None => Ok(None),
    }
}

/// Every model version of a threshold, oldest first.
pub async fn threshold_models<C: ConnectionTrait>(
    db: &C,
    threshold_id: i64,
) -> Result<Vec<model::Model>, DbError> {
    Ok(model::Entity::find()
        .filter(model::Column::ThresholdId.eq(threshold_id))
        .order_by_asc(model::Column::Id)
        .all(db)
        .await?)
}

/// Create the threshold of an existing branch, testbed and measure of the project with its
/// first model, in one write transaction. [`DbError::NotFound`] names a missing resource.
pub async fn create_threshold(
    db: &DatabaseConnection,
    project_id: i64,
    (branch_id, testbed_id, measure_id): (&NameId, &NameId, &NameId),
    wanted: &JsonThresholdModel,
) -> Result<CreatedThreshold, DbError> {
    let txn = begin_write(db).await?;
    let branch = find_branch(&txn, project_id, branch_id)
        .await?
        .ok_or_else(|| not_found("branch", branch_id))?;
    let testbed = find_testbed(&txn, project_id, testbed_id)
        .await?
        .ok_or_else(|| not_found("testbed", testbed_id))?;
    let measure = find_measure(&txn, project_id, measure_id)
        .await?
        .ok_or_else(|| not_found("measure", measure_id))?;
    let existing = threshold::Entity::find()
        .filter(threshold::Column::BranchId.eq(branch.id))
        .filter(threshold::Column::TestbedId.eq(testbed.id))
        .filter(threshold::Column::MeasureId.eq(measure.id))
        .one(&txn)
        .await?;
    let now = Utc::now();
    let threshold = match existing {
        Some(t) => {
            if let Some(current) = current_model(&txn, t.id).await? {
                txn.commit().await?;
                return Ok(CreatedThreshold::Exists(ThresholdRow {
                    threshold: t,
                    branch,
                    testbed,
                    measure,
                    model: Some(current),
                }));
            }
            t
        }
        None => {
            threshold::ActiveModel {
                uuid: Set(Uuid::now_v7()),
                project_id: Set(project_id),
                branch_id: Set(branch.id),
                testbed_id: Set(testbed.id),
                measure_id: Set(measure.id),
                created: Set(now),
                modified: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    let model = insert_model(&txn, threshold.id, wanted).await?;
    let threshold = touch(&txn, threshold).await?;
    txn.commit().await?;
    Ok(CreatedThreshold::Created(ThresholdRow {
        threshold,
        branch,
        testbed,
        measure,
        model: Some(model),
    }))
}

/// Give the project's threshold `uuid` a new current model version: the current one (if any)
/// is kept with `replaced` set. A model equal to the current one changes nothing. `None` when
/// the project has no such threshold.
pub async fn update_threshold(
    db: &DatabaseConnection,
    project_id: i64,
    uuid: Uuid,
    wanted: &JsonThresholdModel,
) -> Result<Option<ThresholdRow>, DbError> {
    let txn = begin_write(db).await?;
    let Some(threshold) = threshold::Entity::find()
        .filter(threshold::Column::ProjectId.eq(project_id))
        .filter(threshold::Column::Uuid.eq(uuid))
        .one(&txn)
        .await?
    else {
        return Ok(None);
    };
    let current = current_model(&txn, threshold.id).await?;
    if !current.as_ref().is_some_and(|m| same_model(m, wanted)) {
        model::Entity::update_many()
            .col_expr(model::Column::Replaced, Expr::value(Utc::now()))
            .filter(model::Column::ThresholdId.eq(threshold.id))
            .filter(model::Column::Replaced.is_null())
            .exec(&txn)
            .await?;
        insert_model(&txn, threshold.id, wanted).await?;
        touch(&txn, threshold).await?;
    }
    let row = threshold_in_project(&txn, project_id, uuid).await?;
    txn.commit().await?;
    Ok(row)
}

/// Delete the project's threshold `uuid` with its model versions, boundaries and alerts;
/// whether there was one.
pub async fn delete_threshold<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    uuid: Uuid,
) -> Result<bool, DbError> {
    let deleted = threshold::Entity::delete_many()
        .filter(threshold::Column::ProjectId.eq(project_id))
        .filter(threshold::Column::Uuid.eq(uuid))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Whether a stored model version is `wanted`.
pub fn same_model(stored: &model::Model, wanted: &JsonThresholdModel) -> bool {
    stored.test == wanted.test.as_str()
        && stored.min_sample_size == wanted.min_sample_size.map(i64::from)
        && stored.max_sample_size == wanted.max_sample_size.map(i64::from)
        && stored.window == wanted.window.map(i64::from)
        && stored.lower_boundary == wanted.lower_boundary
        && stored.upper_boundary == wanted.upper_boundary
}

async fn current_model<C: ConnectionTrait>(
    db: &C,
    threshold_id: i64,
) -> Result<Option<model::Model>, DbError> {
    Ok(model::Entity::find()
        .filter(model::Column::ThresholdId.eq(threshold_id))
        .filter(model::Column::Replaced.is_null())
        .one(db)
        .await?)
}

async fn insert_model<C: ConnectionTrait>(
    db: &C,
    threshold_id: i64,
    wanted: &JsonThresholdModel,
) -> Result<model::Model, DbError> {
    Ok(model::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        threshold_id: Set(threshold_id),
        test: Set(wanted.test.as_str().to_owned()),
        min_sample_size: Set(wanted.min_sample_size.map(i64::from)),
        max_sample_size: Set(wanted.max_sample_size.map(i64::from)),
        window: Set(wanted.window.map(i64::from)),
        lower_boundary: Set(wanted.lower_boundary),
        upper_boundary: Set(wanted.upper_boundary),
        created: Set(Utc::now()),
        replaced: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Set the threshold's `modified` to now.
async fn touch<C: ConnectionTrait>(
    db: &C,
    threshold: threshold::Model,
) -> Result<threshold::Model, DbError> {
    let mut active: threshold::ActiveModel = threshold.into();
    active.modified = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// The rows `thresholds` name, loaded with one query per table, in the given order.
async fn threshold_rows<C: ConnectionTrait>(
    db: &C,
    thresholds: Vec<threshold::Model>,
) -> Result<Vec<ThresholdRow>, DbError> {
    if thresholds.is_empty() {
        return Ok(Vec::new());
    }
    let pick = |f: fn(&threshold::Model) -> i64| -> Vec<i64> { thresholds.iter().map(f).collect() };
    let branches: HashMap<i64, branch::Model> = branch::Entity::find()
        .filter(branch::Column::Id.is_in(pick(|t| t.branch_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let testbeds: HashMap<i64, testbed::Model> = testbed::Entity::find()
        .filter(testbed::Column::Id.is_in(pick(|t| t.testbed_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let measures: HashMap<i64, measure::Model> = measure::Entity::find()
        .filter(measure::Column::Id.is_in(pick(|t| t.measure_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut models: HashMap<i64, model::Model> = model::Entity::find()
        .filter(model::Column::ThresholdId.is_in(pick(|t| t.id)))
        .filter(model::Column::Replaced.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.threshold_id, r))
        .collect();
    thresholds
        .into_iter()
        .map(|t| {
            let missing = |what: &'static str, id: i64| DbError::NotFound {
                what,
                key: id.to_string(),
            };
            Ok(ThresholdRow {
                branch: branches
                    .get(&t.branch_id)
                    .cloned()
                    .ok_or_else(|| missing("branch", t.branch_id))?,
                testbed: testbeds
                    .get(&t.testbed_id)
                    .cloned()
                    .ok_or_else(|| missing("testbed", t.testbed_id))?,
                measure: measures
                    .get(&t.measure_id)
                    .cloned()
                    .ok_or_else(|| missing("measure", t.measure_id))?,
                model: models.remove(&t.id),
                threshold: t,
            })
        })
        .collect()
}
