//! Jobs: one run of a benchmark image on a runner, created with its report.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    integer, integer_null, json_binary, json_binary_null, string, string_null,
};

use crate::m20260101_000001_create_organization::Organization;
use crate::m20260101_000002_create_spec::Spec;
use crate::m20260101_000003_create_project::Project;
use crate::m20260101_000004_create_runner::Runner;
use crate::m20260101_000006_create_report::Report;
use crate::util::{fk, fk_col, fk_col_null, id, index, time, time_null, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Job {
    Table,
    Id,
    Uuid,
    ReportId,
    OrganizationId,
    ProjectId,
    Status,
    Priority,
    Image,
    Digest,
    SpecId,
    Config,
    RunnerId,
    Attempts,
    Timeout,
    SourceIp,
    Created,
    Resolved,
    Claimed,
    Started,
    Completed,
    Modified,
    ExitCode,
    ReasonKind,
    Reason,
    Output,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut job = Table::create();
        job.table(Job::Table)
            .col(id(Job::Id))
            .col(uuid(Job::Uuid))
            // One job per report.
            .col(fk_col(Job::ReportId).unique_key())
            .col(fk_col(Job::OrganizationId))
            .col(fk_col(Job::ProjectId))
            // requested, pending, claimed, running, completed, processed, failed, canceled.
            .col(string(Job::Status))
            .col(integer(Job::Priority))
            .col(string(Job::Image))
            .col(string_null(Job::Digest))
            .col(fk_col_null(Job::SpecId))
            // The job's run settings (entrypoint, cmd, env, file paths, iter, ...).
            .col(json_binary(Job::Config))
            .col(fk_col_null(Job::RunnerId))
            .col(integer(Job::Attempts).default(0))
            // Seconds.
            .col(integer(Job::Timeout))
            .col(string_null(Job::SourceIp))
            .col(time(Job::Created))
            .col(time_null(Job::Resolved))
            .col(time_null(Job::Claimed))
            .col(time_null(Job::Started))
            .col(time_null(Job::Completed))
            .col(time(Job::Modified))
            .col(integer_null(Job::ExitCode))
            // Why it failed or was canceled: the `kind` tag of the reason, and the reason as JSON
            // (bencher-wire `FailureReason` / `CancelReason`). The kind is a column of its own so
            // "a late completed replaces a runner_lost failure" is a portable WHERE clause.
            .col(string_null(Job::ReasonKind))
            .col(json_binary_null(Job::Reason))
            // Where stdout, stderr and output files are (inline or object-store keys).
            .col(json_binary_null(Job::Output));
        for (col, to, action) in [
            (
                Job::ReportId,
                Report::Table.into_iden(),
                ForeignKeyAction::Cascade,
            ),
            (
                Job::OrganizationId,
                Organization::Table.into_iden(),
                ForeignKeyAction::Cascade,
            ),
            (
                Job::ProjectId,
                Project::Table.into_iden(),
                ForeignKeyAction::Cascade,
            ),
            (
                Job::SpecId,
                Spec::Table.into_iden(),
                ForeignKeyAction::SetNull,
            ),
            (
                Job::RunnerId,
                Runner::Table.into_iden(),
                ForeignKeyAction::SetNull,
            ),
        ] {
            job.foreign_key(&mut fk(Job::Table, col, to, action));
        }
        manager.create_table(job.to_owned()).await?;
        for (name, cols) in [
            (
                "status_priority_created",
                vec![
                    Job::Status.into_iden(),
                    Job::Priority.into_iden(),
                    Job::Created.into_iden(),
                ],
            ),
            (
                "organization_status",
                vec![Job::OrganizationId.into_iden(), Job::Status.into_iden()],
            ),
            (
                "source_ip_status",
                vec![Job::SourceIp.into_iden(), Job::Status.into_iden()],
            ),
            (
                "project_created",
                vec![Job::ProjectId.into_iden(), Job::Created.into_iden()],
            ),
            ("runner", vec![Job::RunnerId.into_iden()]),
        ] {
            manager.create_index(index(Job::Table, name, cols)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Job::Table).to_owned())
            .await
    }
}
