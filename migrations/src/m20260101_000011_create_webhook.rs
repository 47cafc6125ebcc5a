//! Webhooks of a project and their delivery attempts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, integer, integer_null, json_binary, string, text, text_null,
};

use crate::m20260101_000003_create_project::Project;
use crate::util::{drop_tables, fk, fk_col, id, index, time, time_null, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Webhook {
    Table,
    Id,
    Uuid,
    ProjectId,
    Url,
    Secret,
    Events,
    Enabled,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub enum Delivery {
    Table,
    Id,
    Uuid,
    WebhookId,
    Event,
    EventKey,
    Payload,
    Status,
    Attempts,
    ResponseCode,
    Error,
    NextAttempt,
    Created,
    Delivered,
    Modified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhook::Table)
                    .col(id(Webhook::Id))
                    .col(uuid(Webhook::Uuid))
                    .col(fk_col(Webhook::ProjectId))
                    .col(text(Webhook::Url))
                    // The HMAC signing key: the notifier must be able to sign, so it is kept.
                    .col(string(Webhook::Secret))
                    // JSON array of event names the webhook wants.
                    .col(json_binary(Webhook::Events))
                    .col(boolean(Webhook::Enabled))
                    .col(time(Webhook::Created))
                    .col(time(Webhook::Modified))
                    .foreign_key(&mut fk(
                        Webhook::Table,
                        Webhook::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Delivery::Table)
                    .col(id(Delivery::Id))
                    .col(uuid(Delivery::Uuid))
                    .col(fk_col(Delivery::WebhookId))
                    .col(string(Delivery::Event))
                    // What the delivery is about (e.g. the alert uuid): one delivery per event.
                    .col(string(Delivery::EventKey))
                    .col(json_binary(Delivery::Payload))
                    // `pending`, `delivered` or `failed`.
                    .col(string(Delivery::Status))
                    .col(integer(Delivery::Attempts).default(0))
                    .col(integer_null(Delivery::ResponseCode))
                    .col(text_null(Delivery::Error))
                    .col(time_null(Delivery::NextAttempt))
                    .col(time(Delivery::Created))
                    .col(time_null(Delivery::Delivered))
                    .col(time(Delivery::Modified))
                    .foreign_key(&mut fk(
                        Delivery::Table,
                        Delivery::WebhookId,
                        Webhook::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        Delivery::Table,
                        "webhook_event_key",
                        vec![
                            Delivery::WebhookId.into_iden(),
                            Delivery::EventKey.into_iden(),
                        ],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Delivery::Table,
                "status_next_attempt",
                vec![
                    Delivery::Status.into_iden(),
                    Delivery::NextAttempt.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![Delivery::Table.into_iden(), Webhook::Table.into_iden()],
        )
        .await
    }
}
