//! `model`: A version of a threshold's statistical model; the current one has no `replaced`.

use sea_orm::entity::prelude::*;

/// A row of `model`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "model")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The threshold.
    pub threshold_id: i64,
    /// Test name (`static`, `percentage`, `z_score`, `t_test`, `log_normal`, `iqr`, `delta_iqr`).
    pub test: String,
    /// Minimum history size.
    pub min_sample_size: Option<i64>,
    /// Maximum history size.
    pub max_sample_size: Option<i64>,
    /// History window in seconds.
    pub window: Option<i64>,
    /// Lower boundary parameter.
    pub lower_boundary: Option<f64>,
    /// Upper boundary parameter.
    pub upper_boundary: Option<f64>,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// When a newer version took over.
    pub replaced: Option<DateTimeUtc>,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
