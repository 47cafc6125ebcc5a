//! Runners and the specs each one serves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, string_null};

use crate::m20260101_000002_create_spec::Spec;
use crate::util::{drop_tables, fk, fk_col, id, time, time_null, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Runner {
    Table,
    Id,
    Uuid,
    Name,
    Slug,
    TokenHash,
    LastHeartbeat,
    Archived,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub enum RunnerSpec {
    Table,
    Id,
    RunnerId,
    SpecId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Runner::Table)
                    .col(id(Runner::Id))
                    .col(uuid(Runner::Uuid))
                    .col(string(Runner::Name))
                    .col(string(Runner::Slug).unique_key())
                    // Only a hash of the runner's secret is kept.
                    .col(string_null(Runner::TokenHash))
                    .col(time_null(Runner::LastHeartbeat))
                    .col(time_null(Runner::Archived))
                    .col(time(Runner::Created))
                    .col(time(Runner::Modified))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RunnerSpec::Table)
                    .col(id(RunnerSpec::Id))
                    .col(fk_col(RunnerSpec::RunnerId))
                    .col(fk_col(RunnerSpec::SpecId))
                    .foreign_key(&mut fk(
                        RunnerSpec::Table,
                        RunnerSpec::RunnerId,
                        Runner::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        RunnerSpec::Table,
                        RunnerSpec::SpecId,
                        Spec::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        RunnerSpec::Table,
                        "runner_spec",
                        vec![
                            RunnerSpec::RunnerId.into_iden(),
                            RunnerSpec::SpecId.into_iden(),
                        ],
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![RunnerSpec::Table.into_iden(), Runner::Table.into_iden()],
        )
        .await
    }
}
