//! `boundary`: The limits computed for one metric from its history.

use sea_orm::entity::prelude::*;

/// A row of `boundary`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "boundary")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The metric (one boundary each).
    #[sea_orm(unique)]
    pub metric_id: i64,
    /// The threshold.
    pub threshold_id: i64,
    /// The model version used.
    pub model_id: i64,
    /// Baseline (e.g. the mean of the history).
    pub baseline: Option<f64>,
    /// Lower limit.
    pub lower_limit: Option<f64>,
    /// Upper limit.
    pub upper_limit: Option<f64>,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
