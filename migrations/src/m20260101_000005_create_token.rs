//! API tokens: only a hash of the secret is stored, with scopes, expiry and revocation.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{json_binary, string};

use crate::m20260101_000001_create_organization::Organization;
use crate::util::{fk, fk_col_null, id, time, time_null, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Token {
    Table,
    Id,
    Uuid,
    OrganizationId,
    Name,
    SecretHash,
    Scopes,
    Created,
    Expiration,
    Revoked,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Token::Table)
                    .col(id(Token::Id))
                    .col(uuid(Token::Uuid))
                    // No organization: a server-wide (admin) token.
                    .col(fk_col_null(Token::OrganizationId))
                    .col(string(Token::Name))
                    .col(string(Token::SecretHash).unique_key())
                    // JSON array of scope names.
                    .col(json_binary(Token::Scopes))
                    .col(time(Token::Created))
                    .col(time(Token::Expiration))
                    .col(time_null(Token::Revoked))
                    .foreign_key(&mut fk(
                        Token::Table,
                        Token::OrganizationId,
                        Organization::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Token::Table).to_owned())
            .await
    }
}
