//! `spec`: A hardware spec: what runners serve and jobs request.

use sea_orm::entity::prelude::*;

/// A row of `spec`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "spec")]
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
    /// CPU architecture (`x86_64`, `aarch64`).
    pub architecture: String,
    /// Number of CPUs.
    pub cpu: i32,
    /// Memory in bytes.
    pub memory: i64,
    /// Disk in bytes.
    pub disk: i64,
    /// Whether jobs get a network.
    pub network: bool,
    /// The fallback spec (at most one).
    pub is_default: bool,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
