//! Boundaries computed for metrics and the alerts raised when a metric falls outside one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{double_null, string};

use crate::m20260101_000003_create_project::Project;
use crate::m20260101_000007_create_metric::Metric;
use crate::m20260101_000008_create_threshold::{Model, Threshold};
use crate::util::{drop_tables, fk, fk_col, id, index, time, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Boundary {
    Table,
    Id,
    Uuid,
    MetricId,
    ThresholdId,
    ModelId,
    Baseline,
    LowerLimit,
    UpperLimit,
}

#[derive(DeriveIden)]
pub enum Alert {
    Table,
    Id,
    Uuid,
    ProjectId,
    BoundaryId,
    BoundaryLimit,
    Status,
    Created,
    Modified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut boundary = Table::create();
        boundary
            .table(Boundary::Table)
            .col(id(Boundary::Id))
            .col(uuid(Boundary::Uuid))
            // One boundary per metric: re-processing a report cannot add a second.
            .col(fk_col(Boundary::MetricId).unique_key())
            .col(fk_col(Boundary::ThresholdId))
            .col(fk_col(Boundary::ModelId))
            .col(double_null(Boundary::Baseline))
            .col(double_null(Boundary::LowerLimit))
            .col(double_null(Boundary::UpperLimit));
        for (col, to) in [
            (Boundary::MetricId, Metric::Table.into_iden()),
            (Boundary::ThresholdId, Threshold::Table.into_iden()),
            (Boundary::ModelId, Model::Table.into_iden()),
        ] {
            boundary.foreign_key(&mut fk(Boundary::Table, col, to, ForeignKeyAction::Cascade));
        }
        manager.create_table(boundary.to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alert::Table)
                    .col(id(Alert::Id))
                    .col(uuid(Alert::Uuid))
                    // Denormalized from the report so "active alerts of a project" is one index scan.
                    .col(fk_col(Alert::ProjectId))
                    .col(fk_col(Alert::BoundaryId).unique_key())
                    // `lower` or `upper`.
                    .col(string(Alert::BoundaryLimit))
                    // `active`, `dismissed` or `silenced`.
                    .col(string(Alert::Status))
                    .col(time(Alert::Created))
                    .col(time(Alert::Modified))
                    .foreign_key(&mut fk(
                        Alert::Table,
                        Alert::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Alert::Table,
                        Alert::BoundaryId,
                        Boundary::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                Alert::Table,
                "project_status",
                vec![Alert::ProjectId.into_iden(), Alert::Status.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![Alert::Table.into_iden(), Boundary::Table.into_iden()],
        )
        .await
    }
}
