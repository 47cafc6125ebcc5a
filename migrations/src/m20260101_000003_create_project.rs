//! Projects with their branches and testbeds.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, string};

use crate::m20260101_000001_create_organization::Organization;
use crate::m20260101_000002_create_spec::Spec;
use crate::util::{drop_tables, fk, fk_col, fk_col_null, id, time, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Project {
    Table,
    Id,
    Uuid,
    OrganizationId,
    Name,
    Slug,
    Visibility,
    Claimed,
    Created,
    Modified,
}

#[derive(DeriveIden)]
pub enum Branch {
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
pub enum Testbed {
    Table,
    Id,
    Uuid,
    ProjectId,
    Name,
    Slug,
    SpecId,
    Created,
    Modified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Project::Table)
                    .col(id(Project::Id))
                    .col(uuid(Project::Uuid))
                    .col(fk_col(Project::OrganizationId))
                    .col(string(Project::Name))
                    .col(string(Project::Slug).unique_key())
                    // `public` or `private`.
                    .col(string(Project::Visibility))
                    .col(boolean(Project::Claimed))
                    .col(time(Project::Created))
                    .col(time(Project::Modified))
                    .foreign_key(&mut fk(
                        Project::Table,
                        Project::OrganizationId,
                        Organization::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Branch::Table)
                    .col(id(Branch::Id))
                    .col(uuid(Branch::Uuid))
                    .col(fk_col(Branch::ProjectId))
                    .col(string(Branch::Name))
                    .col(string(Branch::Slug))
                    .col(time(Branch::Created))
                    .col(time(Branch::Modified))
                    .foreign_key(&mut fk(
                        Branch::Table,
                        Branch::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        Branch::Table,
                        "project_slug",
                        vec![Branch::ProjectId.into_iden(), Branch::Slug.into_iden()],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Testbed::Table)
                    .col(id(Testbed::Id))
                    .col(uuid(Testbed::Uuid))
                    .col(fk_col(Testbed::ProjectId))
                    .col(string(Testbed::Name))
                    .col(string(Testbed::Slug))
                    .col(fk_col_null(Testbed::SpecId))
                    .col(time(Testbed::Created))
                    .col(time(Testbed::Modified))
                    .foreign_key(&mut fk(
                        Testbed::Table,
                        Testbed::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        Testbed::Table,
                        Testbed::SpecId,
                        Spec::Table,
                        ForeignKeyAction::SetNull,
                    ))
                    .index(&mut unique(
                        Testbed::Table,
                        "project_slug",
                        vec![Testbed::ProjectId.into_iden(), Testbed::Slug.into_iden()],
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            vec![
                Testbed::Table.into_iden(),
                Branch::Table.into_iden(),
                Project::Table.into_iden(),
            ],
        )
        .await
    }
}
