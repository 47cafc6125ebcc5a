//! The built-in OCI registry's rows: repositories (projects, created unclaimed on first push),
//! blob links, upload sessions shared by every intake replica, manifests and tags.
//!
//! Bytes live in an object store; these rows only say what a repository holds. Every write is
//! an insert-or-ignore or a compare-and-set, so concurrent replicas and clients agree.

mod content;
pub mod entity;

use bencher_wire::{Priority, Slug};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

pub use content::{
    ManifestRecord, delete_manifest, delete_tag, manifest, missing_blobs, missing_manifests,
    put_manifest, referrers, set_tag, tag, tags,
};
pub use entity::{blob, manifest as manifest_row, tag as tag_row, upload};

use crate::entities::{project, token};
use crate::error::DbError;
use crate::queries::tenancy::{get_or_create_organization, get_or_create_project};
use crate::types::Visibility;

/// The project whose slug is `name`, if any.
pub async fn repository<C: ConnectionTrait>(
    db: &C,
    name: &Slug,
) -> Result<Option<project::Model>, DbError> {
    Ok(project::Entity::find()
        .filter(project::Column::Slug.eq(name.as_str()))
        .one(db)
        .await?)
}

/// The project whose slug is `name`, created unclaimed and public (in an unclaimed organization
/// of the same slug) when missing, as a first push does. Safe to race.
pub async fn get_or_create_repository<C: ConnectionTrait>(
    db: &C,
    name: &Slug,
) -> Result<project::Model, DbError> {
    if let Some(found) = repository(db, name).await? {
        return Ok(found);
    }
    let org = get_or_create_organization(db, name, name.as_str(), Priority::Unclaimed).await?;
    get_or_create_project(db, org.id, name, name.as_str(), Visibility::Public, false).await
}

/// Links the blob `digest` of `size` bytes to the repository (no-op when linked already).
pub async fn link_blob<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    digest: &str,
    size: i64,
) -> Result<(), DbError> {
    blob::Entity::insert(blob::ActiveModel {
        project_id: Set(project_id),
        digest: Set(digest.to_owned()),
        size: Set(size),
        created: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The size of blob `digest` if the repository may see it.
pub async fn blob_size<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    digest: &str,
) -> Result<Option<i64>, DbError> {
    Ok(blob::Entity::find()
        .filter(blob::Column::ProjectId.eq(project_id))
        .filter(blob::Column::Digest.eq(digest))
        .one(db)
        .await?
        .map(|row| row.size))
}

/// Unlinks blob `digest` from the repository; whether it was linked.
pub async fn unlink_blob<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    digest: &str,
) -> Result<bool, DbError> {
    let result = blob::Entity::delete_many()
        .filter(blob::Column::ProjectId.eq(project_id))
        .filter(blob::Column::Digest.eq(digest))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Starts an upload session of the repository.
pub async fn create_upload<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
) -> Result<upload::Model, DbError> {
    let now = Utc::now();
    let uuid = Uuid::new_v4();
    upload::Entity::insert(upload::ActiveModel {
        uuid: Set(uuid),
        project_id: Set(project_id),
        offset: Set(0),
        parts: Set(String::new()),
        hash: Set(None),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    upload_session(db, project_id, uuid)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "upload",
            key: uuid.to_string(),
        })
}

/// The upload session `uuid` of the repository, if it exists.
pub async fn upload_session<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    uuid: Uuid,
) -> Result<Option<upload::Model>, DbError> {
    Ok(upload::Entity::find()
        .filter(upload::Column::Uuid.eq(uuid))
        .filter(upload::Column::ProjectId.eq(project_id))
        .one(db)
        .await?)
}

/// Records a chunk stored as `part`, moving the session from `from` to `to` bytes, with `hash`
/// the sha256 of all bytes so far when known. Returns `false` (and changes nothing) when the
/// session is gone or no longer at `from`: another request appended first.
pub async fn append_upload<C: ConnectionTrait>(
    db: &C,
    session: &upload::Model,
    part: &str,
    to: i64,
    hash: Option<String>,
) -> Result<bool, DbError> {
    let parts = if session.parts.is_empty() {
        part.to_owned()
    } else {
        format!("{},{part}", session.parts)
    };
    let result = upload::Entity::update_many()
        .col_expr(upload::Column::Offset, Expr::value(to))
        .col_expr(upload::Column::Parts, Expr::value(parts))
        .col_expr(upload::Column::Hash, Expr::value(hash))
        .col_expr(upload::Column::Modified, Expr::value(Utc::now()))
        .filter(upload::Column::Id.eq(session.id))
        .filter(upload::Column::Offset.eq(session.offset))
        .filter(upload::Column::Parts.eq(session.parts.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends the upload session `uuid` (finished or aborted); whether it still existed. Only the
/// caller that gets `true` owns its parts.
pub async fn delete_upload<C: ConnectionTrait>(db: &C, uuid: Uuid) -> Result<bool, DbError> {
    let result = upload::Entity::delete_many()
        .filter(upload::Column::Uuid.eq(uuid))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Up to `limit` sessions untouched since `before`, oldest first.
pub async fn stale_uploads<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<upload::Model>, DbError> {
    Ok(upload::Entity::find()
        .filter(upload::Column::Modified.lt(before))
        .order_by_asc(upload::Column::Modified)
        .limit(limit)
        .all(db)
        .await?)
}

/// The API token whose secret hashes to `secret_hash`, if it exists, is not revoked and has not
/// expired.
pub async fn api_token<C: ConnectionTrait>(
    db: &C,
    secret_hash: &str,
) -> Result<Option<token::Model>, DbError> {
    Ok(token::Entity::find()
        .filter(token::Column::SecretHash.eq(secret_hash))
        .filter(token::Column::Revoked.is_null())
        .filter(token::Column::Expiration.gt(Utc::now()))
        .one(db)
        .await?)
}
