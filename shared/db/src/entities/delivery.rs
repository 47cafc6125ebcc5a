//! `delivery`: One webhook delivery (with its retry state).

use sea_orm::entity::prelude::*;

/// A row of `delivery`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The webhook.
    pub webhook_id: i64,
    /// Event name.
    pub event: String,
    /// What it is about (e.g. the alert uuid); unique per webhook.
    pub event_key: String,
    /// Body sent.
    pub payload: Json,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// HTTP status of the last attempt.
    pub response_code: Option<i32>,
    /// Error of the last attempt.
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    /// When to try again.
    pub next_attempt: Option<DateTimeUtc>,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// When delivered.
    pub delivered: Option<DateTimeUtc>,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
