//! Thresholds and their model versions, as the processor reads them (and tests set them up).
//! A threshold is unique per (branch, testbed, measure); its current model is the version
//! without `replaced`.

use std::collections::HashMap;

use bencher_wire::json::JsonThresholdModel;
use chrono::Utc;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::CHUNK;
use crate::connect::begin_write;
use crate::entities::{model, threshold};
use crate::error::DbError;

/// A threshold with its current model.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentThreshold {
    /// The threshold.
    pub threshold: threshold::Model,
    /// Its current model version.
    pub model: model::Model,
}

/// Give the (branch, testbed, measure) threshold a new current model, creating the threshold if
/// needed and retiring the model it had, in one write transaction.
pub async fn set_threshold(
    db: &DatabaseConnection,
    project_id: i64,
    branch_id: i64,
    testbed_id: i64,
    measure_id: i64,
    wanted: &JsonThresholdModel,
) -> Result<CurrentThreshold, DbError> {
    let txn = begin_write(db).await?;
    let now = Utc::now();
    threshold::Entity::insert(threshold::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        branch_id: Set(branch_id),
        testbed_id: Set(testbed_id),
        measure_id: Set(measure_id),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(&txn)
    .await?;
    let threshold = threshold::Entity::find()
        .filter(threshold::Column::BranchId.eq(branch_id))
        .filter(threshold::Column::TestbedId.eq(testbed_id))
        .filter(threshold::Column::MeasureId.eq(measure_id))
        .one(&txn)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "threshold",
            key: format!("measure {measure_id}"),
        })?;
    model::Entity::update_many()
        .col_expr(model::Column::Replaced, Expr::value(now))
        .filter(model::Column::ThresholdId.eq(threshold.id))
        .filter(model::Column::Replaced.is_null())
        .exec(&txn)
        .await?;
    let model = model::ActiveModel {
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
    txn.commit().await?;
    Ok(CurrentThreshold { threshold, model })
}

/// The current model of a threshold, if it has one.
pub async fn current_model<C: ConnectionTrait>(
    db: &C,
    threshold_id: i64,
) -> Result<Option<model::Model>, DbError> {
    Ok(model::Entity::find()
        .filter(model::Column::ThresholdId.eq(threshold_id))
        .filter(model::Column::Replaced.is_null())
        .one(db)
        .await?)
}

/// The thresholds of a branch and testbed on these measures that have a current model, keyed
/// by measure id. Two queries.
pub async fn current_thresholds<C: ConnectionTrait>(
    db: &C,
    branch_id: i64,
    testbed_id: i64,
    measure_ids: &[i64],
) -> Result<HashMap<i64, CurrentThreshold>, DbError> {
    let mut thresholds = Vec::new();
    for chunk in measure_ids.chunks(CHUNK) {
        thresholds.extend(
            threshold::Entity::find()
                .filter(threshold::Column::BranchId.eq(branch_id))
                .filter(threshold::Column::TestbedId.eq(testbed_id))
                .filter(threshold::Column::MeasureId.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    let ids: Vec<i64> = thresholds.iter().map(|t| t.id).collect();
    let mut models: HashMap<i64, model::Model> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let found = model::Entity::find()
            .filter(model::Column::ThresholdId.is_in(chunk.iter().copied()))
            .filter(model::Column::Replaced.is_null())
            .all(db)
            .await?;
        models.extend(found.into_iter().map(|m| (m.threshold_id, m)));
    }
    Ok(thresholds
        .into_iter()
        .filter_map(|threshold| {
            let model = models.remove(&threshold.id)?;
            Some((threshold.measure_id, CurrentThreshold { threshold, model }))
        })
        .collect())
}
