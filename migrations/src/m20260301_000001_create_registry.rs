//! The built-in OCI registry: blobs linked to a repository (a project), upload sessions (shared
//! by every intake replica), manifests with what the referrers API needs, and tags.
//!
//! Blob and manifest bytes live in the object store under their digest; these rows say which
//! repository may see them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, json_binary_null, string, string_null, text};

use crate::m20260101_000003_create_project::Project;
use crate::util::{fk, fk_col, id, index, time, unique, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RegistryBlob {
    Table,
    Id,
    ProjectId,
    Digest,
    Size,
    Created,
}

#[derive(DeriveIden)]
enum RegistryUpload {
    Table,
    Id,
    Uuid,
    ProjectId,
    Offset,
    Parts,
    Hash,
    Created,
    Modified,
}

#[derive(DeriveIden)]
enum RegistryManifest {
    Table,
    Id,
    ProjectId,
    Digest,
    MediaType,
    Size,
    Subject,
    ArtifactType,
    Annotations,
    Created,
}

#[derive(DeriveIden)]
enum RegistryTag {
    Table,
    Id,
    ProjectId,
    Name,
    Digest,
    Modified,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistryBlob::Table)
                    .col(id(RegistryBlob::Id))
                    .col(fk_col(RegistryBlob::ProjectId))
                    .col(string(RegistryBlob::Digest))
                    .col(big_integer(RegistryBlob::Size))
                    .col(time(RegistryBlob::Created))
                    .foreign_key(&mut fk(
                        RegistryBlob::Table,
                        RegistryBlob::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        RegistryBlob::Table,
                        "project_digest",
                        vec![
                            RegistryBlob::ProjectId.into_iden(),
                            RegistryBlob::Digest.into_iden(),
                        ],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistryUpload::Table)
                    .col(id(RegistryUpload::Id))
                    .col(uuid(RegistryUpload::Uuid))
                    .col(fk_col(RegistryUpload::ProjectId))
                    // Bytes received so far.
                    .col(big_integer(RegistryUpload::Offset).default(0))
                    // Comma-separated object keys of the chunks received, in order.
                    .col(text(RegistryUpload::Parts).default(""))
                    // sha256 of the bytes so far while they are one single chunk.
                    .col(string_null(RegistryUpload::Hash))
                    .col(time(RegistryUpload::Created))
                    .col(time(RegistryUpload::Modified))
                    .foreign_key(&mut fk(
                        RegistryUpload::Table,
                        RegistryUpload::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                RegistryUpload::Table,
                "modified",
                vec![RegistryUpload::Modified.into_iden()],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistryManifest::Table)
                    .col(id(RegistryManifest::Id))
                    .col(fk_col(RegistryManifest::ProjectId))
                    .col(string(RegistryManifest::Digest))
                    .col(string(RegistryManifest::MediaType))
                    .col(big_integer(RegistryManifest::Size))
                    // The digest of the manifest's `subject`, for the referrers API.
                    .col(string_null(RegistryManifest::Subject))
                    .col(string_null(RegistryManifest::ArtifactType))
                    .col(json_binary_null(RegistryManifest::Annotations))
                    .col(time(RegistryManifest::Created))
                    .foreign_key(&mut fk(
                        RegistryManifest::Table,
                        RegistryManifest::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        RegistryManifest::Table,
                        "project_digest",
                        vec![
                            RegistryManifest::ProjectId.into_iden(),
                            RegistryManifest::Digest.into_iden(),
                        ],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                RegistryManifest::Table,
                "project_subject",
                vec![
                    RegistryManifest::ProjectId.into_iden(),
                    RegistryManifest::Subject.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistryTag::Table)
                    .col(id(RegistryTag::Id))
                    .col(fk_col(RegistryTag::ProjectId))
                    .col(string(RegistryTag::Name))
                    .col(string(RegistryTag::Digest))
                    .col(time(RegistryTag::Modified))
                    .foreign_key(&mut fk(
                        RegistryTag::Table,
                        RegistryTag::ProjectId,
                        Project::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .index(&mut unique(
                        RegistryTag::Table,
                        "project_name",
                        vec![
                            RegistryTag::ProjectId.into_iden(),
                            RegistryTag::Name.into_iden(),
                        ],
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RegistryTag::Table.into_iden(),
            RegistryManifest::Table.into_iden(),
            RegistryUpload::Table.into_iden(),
            RegistryBlob::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
