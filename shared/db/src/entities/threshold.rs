//! `threshold`: A threshold on (branch, testbed, measure).

use sea_orm::entity::prelude::*;

/// A row of `threshold`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "threshold")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The project.
    pub project_id: i64,
    /// The branch.
    pub branch_id: i64,
    /// The testbed.
    pub testbed_id: i64,
    /// The measure.
    pub measure_id: i64,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
