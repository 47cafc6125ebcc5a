//! `project`: A project: owns branches, testbeds, thresholds and reports.

use sea_orm::entity::prelude::*;

/// A row of `project`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "project")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// Owning organization.
    pub organization_id: i64,
    /// Display name.
    pub name: String,
    /// Globally unique slug.
    #[sea_orm(unique)]
    pub slug: String,
    /// `public` or `private` (see [`crate::Visibility`]).
    pub visibility: String,
    /// Whether someone claimed the project.
    pub claimed: bool,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
