//! `runner_spec`: Which specs a runner serves.

use sea_orm::entity::prelude::*;

/// A row of `runner_spec`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "runner_spec")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The runner.
    pub runner_id: i64,
    /// The spec.
    pub spec_id: i64,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
