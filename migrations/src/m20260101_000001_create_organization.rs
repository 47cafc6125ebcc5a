//! Organizations: own projects and carry the priority tier.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, string};

use crate::util::{id, time, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Organization {
    Table,
    Id,
    Uuid,
    Name,
    Slug,
    Priority,
    Created,
    Modified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organization::Table)
                    .col(id(Organization::Id))
                    .col(uuid(Organization::Uuid))
                    .col(string(Organization::Name))
                    .col(string(Organization::Slug).unique_key())
                    // Bencher's numbers: unclaimed 0, free 100, plus 200.
                    .col(integer(Organization::Priority))
                    .col(time(Organization::Created))
                    .col(time(Organization::Modified))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organization::Table).to_owned())
            .await
    }
}
