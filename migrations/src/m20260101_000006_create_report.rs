//! Reports, the benchmarks and measures of a project, and which benchmarks a report ran.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, json_binary_null, string, string_null};

use crate::m20260101_000003_create_project::{Branch, Project, Testbed};
use crate::util::{drop_tables, fk, fk_col, id, index, time, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Report {
    Table,
    Id,
    Uuid,
    ProjectId,
    BranchId,
    TestbedId,
    Hash,
    StartTime,
    EndTime,
    Adapter,
    Average,
    Fold,
    ResultsRef,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub enum Benchmark {
    Table,
    Id,
    Uuid,
    ProjectId,
    Name,
    Slug,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub enum Measure {
    Table,
    Id,
    Uuid,
    ProjectId,
    Name,
    Slug,
    Units,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub enum ReportBenchmark {
    Table,
    Id,
    Uuid,
    ReportId,
    Iteration,
    BenchmarkId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Report::Table)
                    .col(id(Report::Id))
                    .col(uuid(Report::Uuid))
                    .col(fk_col(Report::ProjectId))
                    .col(fk_col(Report::BranchId))
                    .col(fk_col(Report::TestbedId))
                    .col(string_null(Report::Hash))
                    .col(time(Report::StartTime))
                    .col(time(Report::EndTime))
                    .col(string(Report::Adapter))
                    .col(string_null(Report::Average))
                    .col(string_null(Report::Fold))
                    // Where the raw harness output lives (inline or an object-store key).
                    .col(json_binary_null(Report::ResultsRef))
                    .col(time(Report::Created))
                    .col(time(Report::Modified))
                    .foreign_key(&mut fk(
                        Report::Table,
                        Report::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Report::Table,
                        Report::BranchId,
                        Branch::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Report::Table,
                        Report::TestbedId,
                        Testbed::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Threshold history: reports of one branch and testbed, newest first.
        manager
            .create_index(index(
                Report::Table,
                "branch_testbed_start",
                vec![
                    Report::BranchId.into_iden(),
                    Report::TestbedId.into_iden(),
                    Report::StartTime.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                Report::Table,
                "project_created",
                vec![Report::ProjectId.into_iden(), Report::Created.into_iden()],
            ))
            .await?;
        for (table, id_col, uuid_col, project, name, slug, created, modified, units) in [
            (
                Benchmark::Table.into_iden(),
                Benchmark::Id.into_iden(),
                Benchmark::Uuid.into_iden(),
                Benchmark::ProjectId.into_iden(),
                Benchmark::Name.into_iden(),
                Benchmark::Slug.into_iden(),
                Benchmark::Created.into_iden(),
                Benchmark::Modified.into_iden(),
                None,
            ),
            (
                Measure::Table.into_iden(),
                Measure::Id.into_iden(),
                Measure::Uuid.into_iden(),
                Measure::ProjectId.into_iden(),
                Measure::Name.into_iden(),
                Measure::Slug.into_iden(),
                Measure::Created.into_iden(),
                Measure::Modified.into_iden(),
                Some(Measure::Units.into_iden()),
            ),
        ] {
            let mut stmt = Table::create();
            stmt.table(table.clone())
                .col(id(id_col))
                .col(uuid(uuid_col))
                .col(fk_col(project.clone()))
                .col(string(name.clone()))
                .col(string(slug.clone()));
            if let Some(units) = units {
                stmt.col(string(units));
            }
            stmt.col(time(created))
                .col(time(modified))
                .foreign_key(&mut fk(
                    table.clone(),
                    project.clone(),
                    Project::Table,
                    ForeignKeyAction::Cascade,
                ))
                .index(&mut unique(
                    table.clone(),
                    "project_name",
                    vec![project.clone(), name],
                ))
                .index(&mut unique(table, "project_slug", vec![project, slug]));
            manager.create_table(stmt.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ReportBenchmark::Table)
                    .col(id(ReportBenchmark::Id))
                    .col(uuid(ReportBenchmark::Uuid))
                    .col(fk_col(ReportBenchmark::ReportId))
                    .col(integer(ReportBenchmark::Iteration))
                    .col(fk_col(ReportBenchmark::BenchmarkId))
                    .foreign_key(&mut fk(
                        ReportBenchmark::Table,
                        ReportBenchmark::ReportId,
                        Report::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ReportBenchmark::Table,
                        ReportBenchmark::BenchmarkId,
                        Benchmark::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        ReportBenchmark::Table,
                        "report_iteration_benchmark",
                        vec![
                            ReportBenchmark::ReportId.into_iden(),
                            ReportBenchmark::Iteration.into_iden(),
                            ReportBenchmark::BenchmarkId.into_iden(),
                        ],
                    ))
                    .to_owned(),
            )
            .await?;
        // Threshold history starts from the benchmark.
        manager
            .create_index(index(
                ReportBenchmark::Table,
                "benchmark_report",
                vec![
                    ReportBenchmark::BenchmarkId.into_iden(),
                    ReportBenchmark::ReportId.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                ReportBenchmark::Table.into_iden(),
                Measure::Table.into_iden(),
                Benchmark::Table.into_iden(),
                Report::Table.into_iden(),
            ],
        )
        .await
    }
}
