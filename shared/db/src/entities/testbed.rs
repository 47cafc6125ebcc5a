//! `testbed`: A testbed of a project, optionally pinned to a spec.

use sea_orm::entity::prelude::*;

/// A row of `testbed`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "testbed")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// Owning project.
    pub project_id: i64,
    /// Display name.
    pub name: String,
    /// Slug, unique per project.
    pub slug: String,
    /// The spec jobs on this testbed run on.
    pub spec_id: Option<i64>,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
