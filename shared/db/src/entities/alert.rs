//! `alert`: An alert: a metric outside its boundary.

use sea_orm::entity::prelude::*;

/// A row of `alert`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The project (denormalized for listing).
    pub project_id: i64,
    /// The boundary crossed (one alert each).
    #[sea_orm(unique)]
    pub boundary_id: i64,
    /// `lower` or `upper`.
    pub boundary_limit: String,
    /// `active`, `dismissed` or `silenced` (see [`crate::AlertStatus`]).
    pub status: String,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
