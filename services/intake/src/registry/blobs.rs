//! Blobs: `HEAD`, `GET` (whole or one `Range`) and `DELETE`.

use std::ops::Range;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bencher_db::queries::registry as q;

use super::error::{OciCode, RegistryError, oci};
use super::{Registry, digest, repository_name, store};

/// `GET`/`HEAD /v2/<name>/blobs/<digest>`: 200 with the bytes, 206 for a `Range`, 416 when
/// the range is outside the blob.
pub async fn get(
    registry: &Registry,
    name: &str,
    reference: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    let digest = digest(reference)?;
    let repo = registry.repository(&name).await?;
    let size = q::blob_size(registry.db(), repo.id, digest.as_str())
        .await?
        .ok_or_else(|| blob_unknown(digest.as_str()))?;
    let size = u64::try_from(size).unwrap_or(0);
    let range = match headers.get(header::RANGE) {
        Some(value) => Some(
            parse_range(value.to_str().unwrap_or_default(), size).ok_or_else(|| {
                oci(OciCode::BlobUnknown, "range not satisfiable")
                    .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
            })?,
        ),
        None => None,
    };
    let (status, span) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..size),
    };
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, span.end - span.start)
        .header(header::ACCEPT_RANGES, "bytes")
        .header("docker-content-digest", digest.as_str());
    if range.is_some() {
        builder = builder.header(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{size}", span.start, span.end.saturating_sub(1)),
        );
    }
    if head || span.is_empty() {
        return builder
            .body(Body::empty())
            .map_err(|e| RegistryError::Body(axum::Error::new(e)));
    }
    let store = registry.store().await?;
    let body = Body::from_stream(
        store::read(store.as_ref(), &store::blob_key(&digest), Some(span)).await?,
    );
    builder
        .body(body)
        .map_err(|e| RegistryError::Body(axum::Error::new(e)))
}

/// `DELETE /v2/<name>/blobs/<digest>`: 202 once unlinked from the repository. The bytes stay
/// in the store (other repositories may share them; there is no garbage collector yet).
pub async fn delete(
    registry: &Registry,
    name: &str,
    reference: &str,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    let digest = digest(reference)?;
    let repo = registry.repository(&name).await?;
    if !q::unlink_blob(registry.db(), repo.id, digest.as_str()).await? {
        return Err(blob_unknown(digest.as_str()));
    }
    Ok((
        StatusCode::ACCEPTED,
        [("docker-content-digest", digest.as_str())],
    )
        .into_response())
}

/// The `BLOB_UNKNOWN` answer.
pub fn blob_unknown(digest: &str) -> RegistryError {
    oci(OciCode::BlobUnknown, format!("blob {digest} not known"))
        .with_detail(serde_json::json!({ "digest": digest }))
}

/// One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` over `size` bytes, as a half-open
/// range; `None` when malformed, multiple or unsatisfiable.
pub fn parse_range(value: &str, size: u64) -> Option<Range<u64>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let n: u64 = end.parse().ok()?;
        size.saturating_sub(n)..size
    } else {
        let start: u64 = start.parse().ok()?;
        let end = if end.is_empty() {
            size
        } else {
            end.parse::<u64>().ok()?.saturating_add(1).min(size)
        };
        start..end
    };
    (range.start < range.end && range.start < size).then_some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(0..10));
        assert_eq!(parse_range("bytes=90-", 100), Some(90..100));
        assert_eq!(parse_range("bytes=-10", 100), Some(90..100));
        assert_eq!(parse_range("bytes=95-200", 100), Some(95..100));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-2", 100), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
