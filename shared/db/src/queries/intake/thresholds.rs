//! A run's thresholds (`--threshold-measure ... --threshold-test ...`): one threshold per
//! (branch, testbed, measure), whose current model is replaced by a new version when the run
//! asks for a different one. `reset` retires the models of thresholds the run does not name.

use std::collections::BTreeMap;

use bencher_wire::Slug;
use bencher_wire::json::JsonThresholdModel;
use chrono::Utc;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::connect::begin_write;
use crate::entities::{measure, model, threshold};
use crate::error::DbError;
use crate::queries::metrics::{NewMeasure, get_or_create_measures};

/// What changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThresholdChanges {
    /// Thresholds with a new current model (created, or their model changed).
    pub updated: Vec<Uuid>,
    /// Thresholds whose model `reset` retired.
    pub retired: Vec<Uuid>,
}

/// Create or update the thresholds of `models` (keyed by measure UUID, slug or name) for the
/// branch and testbed, in one write transaction. Measures named by slug or name are created
/// when missing (Bencher's built-in names and units for `latency`, `throughput`, ...); a
/// measure UUID must exist in the project. Repeating a run with the same models changes nothing.
pub async fn upsert_run_thresholds(
    db: &DatabaseConnection,
    project_id: i64,
    branch_id: i64,
    testbed_id: i64,
    models: &BTreeMap<String, JsonThresholdModel>,
    reset: bool,
) -> Result<ThresholdChanges, DbError> {
    match upsert_once(db, project_id, branch_id, testbed_id, models, reset).await {
        // Another run replaced the same model at the same time: its version is current now.
        Err(err) if err.is_unique_violation() => {
            upsert_once(db, project_id, branch_id, testbed_id, models, reset).await
        }
        other => other,
    }
}

async fn upsert_once(
    db: &DatabaseConnection,
    project_id: i64,
    branch_id: i64,
    testbed_id: i64,
    models: &BTreeMap<String, JsonThresholdModel>,
    reset: bool,
) -> Result<ThresholdChanges, DbError> {
    let txn = begin_write(db).await?;
    let mut changes = ThresholdChanges::default();
    let mut kept = Vec::new();
    for (key, wanted) in models {
        let measure = measure_for_key(&txn, project_id, key).await?;
        let threshold =
            get_or_create_threshold(&txn, project_id, branch_id, testbed_id, &measure).await?;
        kept.push(threshold.id);
        let current = model::Entity::find()
            .filter(model::Column::ThresholdId.eq(threshold.id))
            .filter(model::Column::Replaced.is_null())
            .one(&txn)
            .await?;
        if current.as_ref().is_some_and(|m| same_model(m, wanted)) {
            continue;
        }
        let now = Utc::now();
        retire_current(&txn, threshold.id).await?;
        model::ActiveModel {
            uuid: Set(Uuid::now_v7()),
            threshold_id: Set(threshold.id),
            test: Set(wanted.test.as_str().to_owned()),
            min_sample_size: Set(wanted.min_sample_size.map(i64::from)),
            max_sample_size: Set(wanted.max_sample_size.map(i64::from)),
            window: Set(wanted.window.map(i64::from)),
            lower_boundary: Set(wanted.lower_boundary),
            upper_boundary: Set(wanted.upper_boundary),
            created: Set(now),
            replaced: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        changes.updated.push(threshold.uuid);
    }
    if reset {
        let others = threshold::Entity::find()
            .filter(threshold::Column::BranchId.eq(branch_id))
            .filter(threshold::Column::TestbedId.eq(testbed_id))
            .filter(threshold::Column::Id.is_not_in(kept))
            .all(&txn)
            .await?;
        for other in others {
            if retire_current(&txn, other.id).await? {
                changes.retired.push(other.uuid);
            }
        }
    }
    txn.commit().await?;
    Ok(changes)
}

fn same_model(stored: &model::Model, wanted: &JsonThresholdModel) -> bool {
    stored.test == wanted.test.as_str()
        && stored.min_sample_size == wanted.min_sample_size.map(i64::from)
        && stored.max_sample_size == wanted.max_sample_size.map(i64::from)
        && stored.window == wanted.window.map(i64::from)
        && stored.lower_boundary == wanted.lower_boundary
        && stored.upper_boundary == wanted.upper_boundary
}

/// Mark the current model of a threshold replaced; whether there was one.
async fn retire_current<C: ConnectionTrait>(db: &C, threshold_id: i64) -> Result<bool, DbError> {
    let result = model::Entity::update_many()
        .col_expr(model::Column::Replaced, Expr::value(Utc::now()))
        .filter(model::Column::ThresholdId.eq(threshold_id))
        .filter(model::Column::Replaced.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

async fn measure_for_key<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    project_id: i64,
    key: &str,
) -> Result<measure::Model, DbError> {
    if let Ok(uuid) = Uuid::parse_str(key) {
        return measure::Entity::find()
            .filter(measure::Column::ProjectId.eq(project_id))
            .filter(measure::Column::Uuid.eq(uuid))
            .one(db)
            .await?
            .ok_or_else(|| DbError::NotFound {
                what: "measure",
                key: key.to_owned(),
            });
    }
    // A display name of an existing measure (`Latency`) names it too.
    if let Some(found) = measure::Entity::find()
        .filter(measure::Column::ProjectId.eq(project_id))
        .filter(measure::Column::Name.eq(key))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    let slug = Slug::from_name(key).ok_or_else(|| DbError::NotFound {
        what: "measure",
        key: key.to_owned(),
    })?;
    let mut found = get_or_create_measures(db, project_id, &[NewMeasure::for_slug(&slug)]).await?;
    found
        .remove(slug.as_str())
        .ok_or_else(|| DbError::NotFound {
            what: "measure",
            key: key.to_owned(),
        })
}

async fn get_or_create_threshold<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    branch_id: i64,
    testbed_id: i64,
    measure: &measure::Model,
) -> Result<threshold::Model, DbError> {
    let now = Utc::now();
    threshold::Entity::insert(threshold::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        branch_id: Set(branch_id),
        testbed_id: Set(testbed_id),
        measure_id: Set(measure.id),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    threshold::Entity::find()
        .filter(threshold::Column::BranchId.eq(branch_id))
        .filter(threshold::Column::TestbedId.eq(testbed_id))
        .filter(threshold::Column::MeasureId.eq(measure.id))
        .one(db)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "threshold",
            key: measure.slug.clone(),
        })
}
