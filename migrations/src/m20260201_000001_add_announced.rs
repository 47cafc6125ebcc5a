//! Intake's outbox marker: when the creation event of a job (`job.requested`) or of a local-flow
//! report (`report.submitted`) was acknowledged by JetStream. A row committed but never announced
//! (intake crashed between the commit and the PubAck) is found by its `NULL` and re-published.

use sea_orm_migration::prelude::*;

use crate::util::time_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Job {
    Table,
    Announced,
}

#[derive(DeriveIden)]
enum Report {
    Table,
    Announced,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite allows one change per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Job::Table)
                    .add_column(time_null(Job::Announced))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Report::Table)
                    .add_column(time_null(Report::Announced))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Report::Table)
                    .drop_column(Report::Announced)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Job::Table)
                    .drop_column(Job::Announced)
                    .to_owned(),
            )
            .await
    }
}
