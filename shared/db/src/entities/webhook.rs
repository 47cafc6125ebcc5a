//! `webhook`: A webhook of a project.

use sea_orm::entity::prelude::*;

/// A row of `webhook`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The project.
    pub project_id: i64,
    /// Target URL.
    pub url: String,
    /// HMAC signing key.
    pub secret: String,
    /// Event names wanted, a JSON array.
    pub events: Json,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
