//! Manifests and tags of a repository.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entity::{blob, manifest as manifest_row, tag as tag_row};
use crate::error::DbError;

/// What is recorded of a pushed manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct ManifestRecord {
    /// `algorithm:hex` of its bytes.
    pub digest: String,
    /// The media type it was pushed with.
    pub media_type: String,
    /// Length in bytes.
    pub size: i64,
    /// The digest of its `subject`.
    pub subject: Option<String>,
    /// Its artifact type.
    pub artifact_type: Option<String>,
    /// Its annotations (a JSON object).
    pub annotations: Option<serde_json::Value>,
}

/// Records a manifest of the repository (no-op when recorded already).
pub async fn put_manifest<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    record: ManifestRecord,
) -> Result<(), DbError> {
    manifest_row::Entity::insert(manifest_row::ActiveModel {
        project_id: Set(project_id),
        digest: Set(record.digest),
        media_type: Set(record.media_type),
        size: Set(record.size),
        subject: Set(record.subject),
        artifact_type: Set(record.artifact_type),
        annotations: Set(record.annotations),
        created: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The manifest `digest` of the repository.
pub async fn manifest<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    digest: &str,
) -> Result<Option<manifest_row::Model>, DbError> {
    Ok(manifest_row::Entity::find()
        .filter(manifest_row::Column::ProjectId.eq(project_id))
        .filter(manifest_row::Column::Digest.eq(digest))
        .one(db)
        .await?)
}

/// Deletes the manifest `digest` and the tags pointing to it; whether it existed.
pub async fn delete_manifest<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    digest: &str,
) -> Result<bool, DbError> {
    tag_row::Entity::delete_many()
        .filter(tag_row::Column::ProjectId.eq(project_id))
        .filter(tag_row::Column::Digest.eq(digest))
        .exec(db)
        .await?;
    let result = manifest_row::Entity::delete_many()
        .filter(manifest_row::Column::ProjectId.eq(project_id))
        .filter(manifest_row::Column::Digest.eq(digest))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// The manifests of the repository whose subject is `subject`, oldest first, optionally only
/// those of `artifact_type`.
pub async fn referrers<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    subject: &str,
    artifact_type: Option<&str>,
) -> Result<Vec<manifest_row::Model>, DbError> {
    let mut query = manifest_row::Entity::find()
        .filter(manifest_row::Column::ProjectId.eq(project_id))
        .filter(manifest_row::Column::Subject.eq(subject));
    if let Some(kind) = artifact_type {
        query = query.filter(manifest_row::Column::ArtifactType.eq(kind));
    }
    Ok(query.order_by_asc(manifest_row::Column::Id).all(db).await?)
}

/// Which of `digests` are not blobs of the repository.
pub async fn missing_blobs<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    digests: &[String],
) -> Result<Vec<String>, DbError> {
    let found: HashSet<String> = blob::Entity::find()
        .select_only()
        .column(blob::Column::Digest)
        .filter(blob::Column::ProjectId.eq(project_id))
        .filter(blob::Column::Digest.is_in(digests.iter().map(String::as_str)))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(digests
        .iter()
        .filter(|d| !found.contains(*d))
        .cloned()
        .collect())
}

/// Which of `digests` are not manifests of the repository.
pub async fn missing_manifests<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    digests: &[String],
) -> Result<Vec<String>, DbError> {
    let found: HashSet<String> = manifest_row::Entity::find()
        .select_only()
        .column(manifest_row::Column::Digest)
        .filter(manifest_row::Column::ProjectId.eq(project_id))
        .filter(manifest_row::Column::Digest.is_in(digests.iter().map(String::as_str)))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(digests
        .iter()
        .filter(|d| !found.contains(*d))
        .cloned()
        .collect())
}

/// Points tag `name` of the repository at `digest` (creating or moving it).
pub async fn set_tag<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    name: &str,
    digest: &str,
) -> Result<(), DbError> {
    tag_row::Entity::insert(tag_row::ActiveModel {
        project_id: Set(project_id),
        name: Set(name.to_owned()),
        digest: Set(digest.to_owned()),
        modified: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([tag_row::Column::ProjectId, tag_row::Column::Name])
            .update_columns([tag_row::Column::Digest, tag_row::Column::Modified])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The digest tag `name` of the repository points to.
pub async fn tag<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    name: &str,
) -> Result<Option<String>, DbError> {
    Ok(tag_row::Entity::find()
        .filter(tag_row::Column::ProjectId.eq(project_id))
        .filter(tag_row::Column::Name.eq(name))
        .one(db)
        .await?
        .map(|row| row.digest))
}

/// Up to `limit` tags of the repository in byte-wise lexical order, after `last` when given.
/// Sorted here rather than by the database, whose collation (PostgreSQL's locale) may differ.
pub async fn tags<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    last: Option<&str>,
    limit: Option<usize>,
) -> Result<Vec<String>, DbError> {
    let mut names: Vec<String> = tag_row::Entity::find()
        .select_only()
        .column(tag_row::Column::Name)
        .filter(tag_row::Column::ProjectId.eq(project_id))
        .into_tuple::<String>()
        .all(db)
        .await?;
    names.sort_unstable();
    if let Some(last) = last {
        names.retain(|name| name.as_str() > last);
    }
    if let Some(limit) = limit {
        names.truncate(limit);
    }
    Ok(names)
}

/// Deletes tag `name` of the repository; whether it existed.
pub async fn delete_tag<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    name: &str,
) -> Result<bool, DbError> {
    let result = tag_row::Entity::delete_many()
        .filter(tag_row::Column::ProjectId.eq(project_id))
        .filter(tag_row::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
