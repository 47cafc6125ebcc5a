//! `organization`: An organization: owns projects and sets the priority tier.

use sea_orm::entity::prelude::*;

/// A row of `organization`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// Display name.
    pub name: String,
    /// Unique slug.
    #[sea_orm(unique)]
    pub slug: String,
    /// Bencher's numeric tier: 0 unclaimed, 100 free, 200 plus.
    pub priority: i32,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
