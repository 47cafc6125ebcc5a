//! `report_benchmark`: A benchmark that ran in one iteration of a report.

use sea_orm::entity::prelude::*;

/// A row of `report_benchmark`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "report_benchmark")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The report.
    pub report_id: i64,
    /// Iteration index, from 0.
    pub iteration: i32,
    /// The benchmark.
    pub benchmark_id: i64,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
