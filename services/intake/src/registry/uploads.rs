//! Uploads: monolithic (`POST ?digest=`), `POST` then `PUT`, chunked (`PATCH`, with or without
//! `Content-Range`), status (`GET`), abort (`DELETE`) and cross-repository mount.
//!
//! A session is a database row (offset, chunk keys, the sha256 of a lone first chunk); each
//! chunk is its own object. Appending is a compare-and-set on the offset, so replicas and
//! concurrent requests agree on the order and a lost race leaves nothing behind.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bencher_db::entities::project;
use bencher_db::queries::registry::{self as q, upload};
use bencher_wire::Slug;
use bencher_wire::image::Digest;
use chrono::Utc;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use uuid::Uuid;

use super::error::{OciCode, RegistryError, oci};
use super::store::{self, Hasher};
use super::{Registry, digest, repository_name};

/// An upload session and its repository.
#[derive(Clone, Debug)]
pub struct Session {
    name: Slug,
    repo: project::Model,
    row: upload::Model,
}

impl Session {
    /// The session `id` of repository `name`, or `BLOB_UPLOAD_UNKNOWN`.
    pub async fn locate(registry: &Registry, name: &str, id: &str) -> Result<Self, RegistryError> {
        let name = repository_name(name)?;
        let unknown = || oci(OciCode::BlobUploadUnknown, format!("upload {id} not known"));
        let uuid = Uuid::parse_str(id).map_err(|_| unknown())?;
        let repo = registry.repository(&name).await?;
        let row = q::upload_session(registry.db(), repo.id, uuid)
            .await?
            .ok_or_else(unknown)?;
        Ok(Self { name, repo, row })
    }

    fn location(&self) -> String {
        format!("/v2/{}/blobs/uploads/{}", self.name, self.row.uuid)
    }

    fn parts(&self) -> Vec<Path> {
        parts_of(&self.row)
    }
}

fn parts_of(row: &upload::Model) -> Vec<Path> {
    row.parts
        .split(',')
        .filter(|p| !p.is_empty())
        .map(Path::from)
        .collect()
}

/// `POST /v2/<name>/blobs/uploads/`: a mount (`?mount=&from=`, 201), a monolithic upload
/// (`?digest=` with the body, 201) or a new session (202).
pub async fn start(
    registry: &Registry,
    name: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    sweep(registry).await;
    if let (Some(mount), Some(from)) = (query.get("mount"), query.get("from")) {
        let mount = digest(mount)?;
        if let Some(response) = try_mount(registry, &name, &mount, from).await? {
            return Ok(response);
        }
    }
    let repo = registry.repository_for_push(&name).await?;
    if let Some(expect) = query.get("digest") {
        let expect = digest(expect)?;
        let limit = registry.config().max_upload_bytes;
        check_length(headers, 0, limit)?;
        let store = registry.store().await?;
        let written = store::write_stream(
            store.as_ref(),
            &store::blob_key(&expect),
            body.into_data_stream(),
            limit,
            Some(Hasher::for_digest(&expect)),
            Some(&expect),
        )
        .await?;
        if written.len == 0 {
            store::put_small(store.as_ref(), &expect, bytes::Bytes::new()).await?;
        }
        return created(registry, &name, &repo, &expect, written.len).await;
    }
    let row = q::create_upload(registry.db(), repo.id).await?;
    let session = Session { name, repo, row };
    Ok(accepted(&session, StatusCode::ACCEPTED))
}

/// Links `mount` from repository `from` when it has it; `None` to fall back to an upload.
async fn try_mount(
    registry: &Registry,
    name: &Slug,
    mount: &Digest,
    from: &str,
) -> Result<Option<Response>, RegistryError> {
    let Ok(from) = from.parse::<Slug>() else {
        return Ok(None);
    };
    let Some(source) = q::repository(registry.db(), &from).await? else {
        return Ok(None);
    };
    let Some(size) = q::blob_size(registry.db(), source.id, mount.as_str()).await? else {
        return Ok(None);
    };
    let repo = registry.repository_for_push(name).await?;
    let size = u64::try_from(size).unwrap_or(0);
    created(registry, name, &repo, mount, size).await.map(Some)
}

/// `PATCH /v2/<name>/blobs/uploads/<id>`: appends a chunk at the session's offset (202).
pub async fn patch(
    registry: &Registry,
    session: Session,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let session = append(registry, session, headers, body).await?;
    Ok(accepted(&session, StatusCode::ACCEPTED))
}

/// `GET /v2/<name>/blobs/uploads/<id>`: 204 with the received `Range`.
pub fn status(session: &Session) -> Response {
    accepted(session, StatusCode::NO_CONTENT)
}

/// `DELETE /v2/<name>/blobs/uploads/<id>`: ends the session (204) and drops its chunks.
pub async fn cancel(registry: &Registry, session: Session) -> Result<Response, RegistryError> {
    if !q::delete_upload(registry.db(), session.row.uuid).await? {
        return Err(oci(OciCode::BlobUploadUnknown, "upload already ended"));
    }
    let store = registry.store().await?;
    delete_parts(store.as_ref(), &session.parts()).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /v2/<name>/blobs/uploads/<id>?digest=`: appends the body if any, verifies the whole
/// content against the digest and publishes the blob (201). On a mismatch nothing is stored.
pub async fn finish(
    registry: &Registry,
    session: Session,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let expect = query
        .get("digest")
        .ok_or_else(|| oci(OciCode::DigestInvalid, "digest query parameter missing"))
        .and_then(|d| digest(d))?;
    let session = append(registry, session, headers, body).await?;
    if !q::delete_upload(registry.db(), session.row.uuid).await? {
        return Err(oci(OciCode::BlobUploadUnknown, "upload already ended"));
    }
    let store = registry.store().await?;
    let parts = session.parts();
    let result = publish(registry, store.as_ref(), &session.row, &parts, &expect).await;
    delete_parts(store.as_ref(), &parts).await;
    let size = result?;
    created(registry, &session.name, &session.repo, &expect, size).await
}

/// Moves or copies the session's chunks to the blob of `expect` once verified; its size.
async fn publish(
    registry: &Registry,
    store: &dyn ObjectStore,
    row: &upload::Model,
    parts: &[Path],
    expect: &Digest,
) -> Result<u64, RegistryError> {
    let size = u64::try_from(row.offset).unwrap_or(0);
    let key = store::blob_key(expect);
    match (parts, row.hash.as_deref()) {
        ([], _) => {
            let empty = Hasher::for_digest(expect).finish();
            if empty != expect.as_str() {
                return Err(store::mismatch(expect, Some(&empty)));
            }
            store::put_small(store, expect, bytes::Bytes::new()).await?;
        }
        ([part], Some(hash)) if expect.algorithm() == "sha256" => {
            if hash != expect.as_str() {
                return Err(store::mismatch(expect, Some(hash)));
            }
            store.rename(part, &key).await?;
        }
        _ => {
            let stream = store::concat(registry.store().await?, parts.to_vec());
            let limit = registry.config().max_upload_bytes;
            let hasher = Some(Hasher::for_digest(expect));
            store::write_stream(store, &key, Box::pin(stream), limit, hasher, Some(expect)).await?;
        }
    }
    Ok(size)
}

/// Appends the body (if any) as a chunk at the session's offset. A `Content-Range` must start
/// at the offset (416 otherwise) and match the body's length (400 otherwise).
async fn append(
    registry: &Registry,
    mut session: Session,
    headers: &HeaderMap,
    body: Body,
) -> Result<Session, RegistryError> {
    let offset = u64::try_from(session.row.offset).unwrap_or(0);
    let range = match headers.get(header::CONTENT_RANGE) {
        Some(value) => Some(
            parse_content_range(value.to_str().unwrap_or_default())
                .ok_or_else(|| oci(OciCode::BlobUploadInvalid, "malformed Content-Range"))?,
        ),
        None => None,
    };
    if let Some((start, _)) = range
        && start != offset
    {
        return Err(out_of_order(&session, offset, start));
    }
    let limit = registry.config().max_upload_bytes;
    check_length(headers, offset, limit)?;
    let store = registry.store().await?;
    let part = store::part_key(session.row.uuid);
    let hasher = (offset == 0).then(Hasher::sha256);
    let written = store::write_stream(
        store.as_ref(),
        &Path::from(part.as_str()),
        body.into_data_stream(),
        limit.saturating_sub(offset),
        hasher,
        None,
    )
    .await?;
    if let Some((start, end)) = range
        && written.len != end.saturating_sub(start) + 1
    {
        delete_parts(store.as_ref(), &[Path::from(part.as_str())]).await;
        return Err(oci(
            OciCode::BlobUploadInvalid,
            format!(
                "Content-Range {start}-{end} does not match the {} bytes sent",
                written.len
            ),
        ));
    }
    if written.len == 0 {
        return Ok(session);
    }
    let to = i64::try_from(offset + written.len).unwrap_or(i64::MAX);
    if !q::append_upload(
        registry.db(),
        &session.row,
        &part,
        to,
        written.digest.clone(),
    )
    .await?
    {
        delete_parts(store.as_ref(), &[Path::from(part.as_str())]).await;
        return Err(out_of_order(&session, offset, offset));
    }
    session.row.parts = if session.row.parts.is_empty() {
        part
    } else {
        format!("{},{part}", session.row.parts)
    };
    session.row.offset = to;
    session.row.hash = written.digest;
    Ok(session)
}

fn out_of_order(session: &Session, offset: u64, start: u64) -> RegistryError {
    oci(
        OciCode::BlobUploadInvalid,
        format!(
            "chunk starts at {start} but upload {} has {offset} bytes",
            session.row.uuid
        ),
    )
    .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
}

/// `start-end` (inclusive), also as `bytes start-end/total`.
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let value = value.trim();
    let value = value.strip_prefix("bytes ").unwrap_or(value);
    let value = value.split_once('/').map_or(value, |(range, _)| range);
    let (start, end) = value.split_once('-')?;
    let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
    (start <= end).then_some((start, end))
}

/// 413 when the declared `Content-Length` would take the upload past `limit`.
fn check_length(headers: &HeaderMap, offset: u64, limit: u64) -> Result<(), RegistryError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if offset.saturating_add(len) > limit => Err(store::too_large(limit)),
        _ => Ok(()),
    }
}

/// Links the verified blob to the repository; 201 with its location.
async fn created(
    registry: &Registry,
    name: &Slug,
    repo: &project::Model,
    digest: &Digest,
    size: u64,
) -> Result<Response, RegistryError> {
    let size = i64::try_from(size).unwrap_or(i64::MAX);
    q::link_blob(registry.db(), repo.id, digest.as_str(), size).await?;
    Ok((
        StatusCode::CREATED,
        [
            (
                header::LOCATION.as_str(),
                format!("/v2/{name}/blobs/{digest}"),
            ),
            ("docker-content-digest", digest.to_string()),
            (header::CONTENT_LENGTH.as_str(), "0".to_owned()),
        ],
    )
        .into_response())
}

/// The answer telling a client where its session is and what it holds.
fn accepted(session: &Session, status: StatusCode) -> Response {
    let end = session.row.offset.saturating_sub(1).max(0);
    (
        status,
        [
            (header::LOCATION.as_str(), session.location()),
            (header::RANGE.as_str(), format!("0-{end}")),
            ("docker-upload-uuid", session.row.uuid.to_string()),
            (header::CONTENT_LENGTH.as_str(), "0".to_owned()),
        ],
    )
        .into_response()
}

async fn delete_parts(store: &dyn ObjectStore, parts: &[Path]) {
    for part in parts {
        if let Err(err) = store.delete(part).await {
            tracing::debug!(part = %part, error = %err, "upload chunk not deleted");
        }
    }
}

/// Removes sessions untouched for longer than the stale timeout, at most once a minute per
/// process; any replica may do it, and only the one whose delete wins drops the chunks.
async fn sweep(registry: &Registry) {
    let now = Utc::now().timestamp();
    let last = registry.last_sweep.load(Ordering::Relaxed);
    if now - last < 60
        || registry
            .last_sweep
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    let stale = i64::try_from(registry.config().stale_upload_secs).unwrap_or(i64::MAX);
    let before = Utc::now() - chrono::Duration::seconds(stale);
    if let Err(err) = sweep_before(registry, before).await {
        tracing::warn!(error = %err, "stale upload sweep failed");
    }
}

/// Removes up to 64 sessions untouched since `before` and their chunks; how many.
pub async fn sweep_before(
    registry: &Registry,
    before: chrono::DateTime<Utc>,
) -> Result<usize, RegistryError> {
    let store = registry.store().await?;
    let mut removed = 0;
    for row in q::stale_uploads(registry.db(), before, 64).await? {
        if q::delete_upload(registry.db(), row.uuid).await? {
            delete_parts(store.as_ref(), &parts_of(&row)).await;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_in_both_spellings() {
        assert_eq!(parse_content_range("0-99"), Some((0, 99)));
        assert_eq!(parse_content_range("bytes 100-199/*"), Some((100, 199)));
        assert_eq!(parse_content_range("5-4"), None);
        assert_eq!(parse_content_range("x-4"), None);
    }
}
