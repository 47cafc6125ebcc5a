//! Metrics: one value per (report benchmark, measure), stored once however often a report is
//! processed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{double, double_null};

use crate::m20260101_000006_create_report::{Measure, ReportBenchmark};
use crate::util::{fk, fk_col, id, index, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Metric {
    Table,
    Id,
    Uuid,
    ReportBenchmarkId,
    MeasureId,
    Value,
    LowerValue,
    UpperValue,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Metric::Table)
                    .col(id(Metric::Id))
                    .col(uuid(Metric::Uuid))
                    .col(fk_col(Metric::ReportBenchmarkId))
                    .col(fk_col(Metric::MeasureId))
                    .col(double(Metric::Value))
                    .col(double_null(Metric::LowerValue))
                    .col(double_null(Metric::UpperValue))
                    .foreign_key(&mut fk(
                        Metric::Table,
                        Metric::ReportBenchmarkId,
                        ReportBenchmark::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Metric::Table,
                        Metric::MeasureId,
                        Measure::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        Metric::Table,
                        "report_benchmark_measure",
                        vec![
                            Metric::ReportBenchmarkId.into_iden(),
                            Metric::MeasureId.into_iden(),
                        ],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Metric::Table,
                "measure",
                vec![Metric::MeasureId.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Metric::Table).to_owned())
            .await
    }
}
