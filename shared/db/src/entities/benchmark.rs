//! `benchmark`: A benchmark of a project; name and slug unique per project.

use sea_orm::entity::prelude::*;

/// A row of `benchmark`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "benchmark")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// Owning project.
    pub project_id: i64,
    /// Name as the harness reports it.
    pub name: String,
    /// Slug derived from the name.
    pub slug: String,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
