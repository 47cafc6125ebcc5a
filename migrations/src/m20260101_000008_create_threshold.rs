//! Thresholds on (branch, testbed, measure) and the versions of their statistical model.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, double_null, string};

use crate::m20260101_000003_create_project::{Branch, Project, Testbed};
use crate::m20260101_000006_create_report::Measure;
use crate::util::{drop_tables, fk, fk_col, id, time, time_null, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Threshold {
    Table,
    Id,
    Uuid,
    ProjectId,
    BranchId,
    TestbedId,
    MeasureId,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub enum Model {
    Table,
    Id,
    Uuid,
    ThresholdId,
    Test,
    MinSampleSize,
    MaxSampleSize,
    Window,
    LowerBoundary,
    UpperBoundary,
    Created,
    Replaced,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut threshold = Table::create();
        threshold
            .table(Threshold::Table)
            .col(id(Threshold::Id))
            .col(uuid(Threshold::Uuid))
            .col(fk_col(Threshold::ProjectId))
            .col(fk_col(Threshold::BranchId))
            .col(fk_col(Threshold::TestbedId))
            .col(fk_col(Threshold::MeasureId))
            .col(time(Threshold::Created))
            .col(time(Threshold::Modified));
        for (col, to) in [
            (Threshold::ProjectId, Project::Table.into_iden()),
            (Threshold::BranchId, Branch::Table.into_iden()),
            (Threshold::TestbedId, Testbed::Table.into_iden()),
            (Threshold::MeasureId, Measure::Table.into_iden()),
        ] {
            threshold.foreign_key(&mut fk(
                Threshold::Table,
                col,
                to,
                ForeignKeyAction::Cascade,
            ));
        }
        threshold.index(&mut unique(
            Threshold::Table,
            "branch_testbed_measure",
            vec![
                Threshold::BranchId.into_iden(),
                Threshold::TestbedId.into_iden(),
                Threshold::MeasureId.into_iden(),
            ],
        ));
        manager.create_table(threshold.to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(Model::Table)
                    .col(id(Model::Id))
                    .col(uuid(Model::Uuid))
                    .col(fk_col(Model::ThresholdId))
                    // Bencher's test names: static, percentage, z_score, t_test, log_normal, iqr, delta_iqr.
                    .col(string(Model::Test))
                    .col(big_integer_null(Model::MinSampleSize))
                    .col(big_integer_null(Model::MaxSampleSize))
                    // History window in seconds.
                    .col(big_integer_null(Model::Window))
                    .col(double_null(Model::LowerBoundary))
                    .col(double_null(Model::UpperBoundary))
                    .col(time(Model::Created))
                    // Set when a newer model version takes over.
                    .col(time_null(Model::Replaced))
                    .foreign_key(&mut fk(
                        Model::Table,
                        Model::ThresholdId,
                        Threshold::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // At most one current (not replaced) model per threshold.
        manager
            .create_index(
                Index::create()
                    .name("uq_model_current")
                    .table(Model::Table)
                    .col(Model::ThresholdId)
                    .unique()
                    .and_where(Expr::col(Model::Replaced).is_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![Model::Table.into_iden(), Threshold::Table.into_iden()],
        )
        .await
    }
}
