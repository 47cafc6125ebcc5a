//! `token`: An API token; only the hash of its secret is stored.

use sea_orm::entity::prelude::*;

/// A row of `token`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "token")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// Organization the token acts for (none: server-wide).
    pub organization_id: Option<i64>,
    /// Display name.
    pub name: String,
    /// Hash of the secret.
    #[sea_orm(unique)]
    pub secret_hash: String,
    /// Granted scopes, a JSON array of strings.
    pub scopes: Json,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Expiry time (UTC).
    pub expiration: DateTimeUtc,
    /// When revoked, if revoked.
    pub revoked: Option<DateTimeUtc>,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
