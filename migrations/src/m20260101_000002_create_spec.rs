//! Hardware specs: what runners serve and jobs request. At most one is the default.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, boolean, integer, string};

use crate::util::{id, time, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Spec {
    Table,
    Id,
    Uuid,
    Name,
    Slug,
    Architecture,
    Cpu,
    Memory,
    Disk,
    Network,
    IsDefault,
    Created,
    Modified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Spec::Table)
                    .col(id(Spec::Id))
                    .col(uuid(Spec::Uuid))
                    .col(string(Spec::Name))
                    .col(string(Spec::Slug).unique_key())
                    .col(string(Spec::Architecture))
                    .col(integer(Spec::Cpu))
                    .col(big_integer(Spec::Memory))
                    .col(big_integer(Spec::Disk))
                    .col(boolean(Spec::Network))
                    .col(boolean(Spec::IsDefault))
                    .col(time(Spec::Created))
                    .col(time(Spec::Modified))
                    .to_owned(),
            )
            .await?;
        // A partial unique index: any number of non-default rows, at most one default.
        manager
            .create_index(
                Index::create()
                    .name("uq_spec_one_default")
                    .table(Spec::Table)
                    .col(Spec::IsDefault)
                    .unique()
                    .and_where(Expr::col(Spec::IsDefault).eq(true))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Spec::Table).to_owned())
            .await
    }
}
