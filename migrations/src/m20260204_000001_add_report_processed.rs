//! The result-processor's marker on a report: `processed` is stamped in the same transaction
//! that stores the report's metrics, boundaries and alerts, so a redelivered `job.completed` or
//! `report.submitted` finds it and stores nothing twice; `failure` holds why the output gave no
//! metrics (a `FailureReason` as JSON: parse error, non-zero exit code, unreadable output).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::json_binary_null;

use crate::util::time_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Report {
    Table,
    Processed,
    Failure,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite allows one change per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Report::Table)
                    .add_column(time_null(Report::Processed))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Report::Table)
                    .add_column(json_binary_null(Report::Failure))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Report::Table)
                    .drop_column(Report::Failure)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Report::Table)
                    .drop_column(Report::Processed)
                    .to_owned(),
            )
            .await
    }
}
