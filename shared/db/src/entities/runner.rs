//! `runner`: A runner daemon.

use sea_orm::entity::prelude::*;

/// A row of `runner`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "runner")]
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
    /// Hash of the runner's secret.
    pub token_hash: Option<String>,
    /// Last heartbeat seen.
    pub last_heartbeat: Option<DateTimeUtc>,
    /// When the runner was retired.
    pub archived: Option<DateTimeUtc>,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
