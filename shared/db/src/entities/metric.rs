//! `metric`: One measured value; unique per (report benchmark, measure).

use sea_orm::entity::prelude::*;

/// A row of `metric`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "metric")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The benchmark run it belongs to.
    pub report_benchmark_id: i64,
    /// The measure.
    pub measure_id: i64,
    /// The value.
    pub value: f64,
    /// Lower bound reported by the harness.
    pub lower_value: Option<f64>,
    /// Upper bound reported by the harness.
    pub upper_value: Option<f64>,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
