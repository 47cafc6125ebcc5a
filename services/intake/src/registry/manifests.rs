//! Manifests by tag or digest: OCI image manifests and indexes, Docker v2 schema 2 manifests
//! and manifest lists. Stored bytes are served verbatim with the media type they were pushed
//! with; a manifest is refused when a blob or child manifest it references is missing.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bencher_db::queries::registry::{self as q, ManifestRecord};
use bencher_wire::image::Digest;
use object_store::ObjectStoreExt;

use super::error::{OciCode, RegistryError, oci};
use super::store::{self, Hasher};
use super::{Registry, repository_name};

/// The largest manifest accepted (Distribution's limit).
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker v2 schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker v2 schema 2 manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const KNOWN: [&str; 4] = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];

/// A tag or a digest.
enum Reference {
    Tag(String),
    Digest(Digest),
}

fn reference(text: &str) -> Result<Reference, RegistryError> {
    if text.contains(':') {
        return super::digest(text).map(Reference::Digest);
    }
    let valid = !text.is_empty()
        && text.len() <= 128
        && text.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphanumeric() || b == b'_' || (i > 0 && (b == b'.' || b == b'-'))
        });
    if valid {
        Ok(Reference::Tag(text.to_owned()))
    } else {
        Err(oci(
            OciCode::ManifestInvalid,
            format!("invalid tag {text:?}"),
        ))
    }
}

fn unknown(reference: &str) -> RegistryError {
    oci(
        OciCode::ManifestUnknown,
        format!("manifest {reference} not known"),
    )
}

/// `GET`/`HEAD /v2/<name>/manifests/<reference>`.
pub async fn get(
    registry: &Registry,
    name: &str,
    text: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    let repo = registry.repository(&name).await?;
    let digest = match reference(text)? {
        Reference::Digest(d) => d,
        Reference::Tag(tag) => {
            let found = q::tag(registry.db(), repo.id, &tag).await?;
            super::digest(&found.ok_or_else(|| unknown(text))?)?
        }
    };
    let row = q::manifest(registry.db(), repo.id, digest.as_str())
        .await?
        .ok_or_else(|| unknown(text))?;
    if !acceptable(headers, &row.media_type) {
        return Err(oci(
            OciCode::ManifestUnknown,
            format!(
                "manifest {text} is {} which the Accept header excludes",
                row.media_type
            ),
        ));
    }
    let builder = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, &row.media_type)
        .header(header::CONTENT_LENGTH, row.size)
        .header("docker-content-digest", digest.as_str())
        .header(header::ETAG, format!("\"{digest}\""));
    let body = if head {
        Body::empty()
    } else {
        let store = registry.store().await?;
        Body::from(store.get(&store::blob_key(&digest)).await?.bytes().await?)
    };
    builder
        .body(body)
        .map_err(|e| RegistryError::Body(axum::Error::new(e)))
}

/// Whether the `Accept` headers allow `media_type`: no header, a wildcard, the type itself,
/// or no manifest type at all (clients that list only unrelated types get what is stored).
fn acceptable(headers: &HeaderMap, media_type: &str) -> bool {
    let accepted: Vec<String> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.split(';').next().unwrap_or_default().trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    accepted.is_empty()
        || accepted
            .iter()
            .any(|t| t == media_type || t == "*/*" || t == "application/*")
        || !accepted.iter().any(|t| KNOWN.contains(&t.as_str()))
}

/// `PUT /v2/<name>/manifests/<reference>`: 201 with `Docker-Content-Digest` and `Location`.
pub async fn put(
    registry: &Registry,
    name: &str,
    text: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    let target = reference(text)?;
    let bytes = axum::body::to_bytes(body, MAX_MANIFEST_BYTES)
        .await
        .map_err(|_| store::too_large(MAX_MANIFEST_BYTES as u64))?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        oci(
            OciCode::ManifestInvalid,
            format!("manifest is not JSON: {e}"),
        )
    })?;
    let media_type = media_type(headers, &json)?;
    let digest = match &target {
        Reference::Digest(expect) => {
            let mut hasher = Hasher::for_digest(expect);
            hasher.update(&bytes);
            let actual = hasher.finish();
            if actual != expect.as_str() {
                return Err(store::mismatch(expect, Some(&actual)));
            }
            expect.clone()
        }
        Reference::Tag(_) => {
            let mut hasher = Hasher::sha256();
            hasher.update(&bytes);
            super::digest(&hasher.finish())?
        }
    };
    let refs = references(&media_type, &json)?;
    let repo = registry.repository_for_push(&name).await?;
    let missing_blobs = q::missing_blobs(registry.db(), repo.id, &refs.blobs).await?;
    let missing_children = q::missing_manifests(registry.db(), repo.id, &refs.manifests).await?;
    if let Some(missing) = missing_blobs.iter().chain(&missing_children).next() {
        return Err(oci(
            OciCode::ManifestBlobUnknown,
            format!("manifest references {missing}, which the repository does not have"),
        )
        .with_detail(serde_json::json!({ "digest": missing })));
    }
    let store = registry.store().await?;
    store::put_small(store.as_ref(), &digest, bytes.clone()).await?;
    let subject = json["subject"]["digest"].as_str().map(str::to_owned);
    let artifact_type = json["artifactType"]
        .as_str()
        .or_else(|| json["config"]["mediaType"].as_str())
        .map(str::to_owned);
    let annotations = json.get("annotations").filter(|a| a.is_object()).cloned();
    let record = ManifestRecord {
        digest: digest.to_string(),
        media_type,
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        subject: subject.clone(),
        artifact_type,
        annotations,
    };
    q::put_manifest(registry.db(), repo.id, record).await?;
    if let Reference::Tag(tag) = &target {
        q::set_tag(registry.db(), repo.id, tag, digest.as_str()).await?;
    }
    let mut response = (
        StatusCode::CREATED,
        [
            (
                header::LOCATION.as_str(),
                format!("/v2/{name}/manifests/{digest}"),
            ),
            ("docker-content-digest", digest.to_string()),
            (header::CONTENT_LENGTH.as_str(), "0".to_owned()),
        ],
    )
        .into_response();
    if let Some(subject) = subject.and_then(|s| s.parse().ok()) {
        response.headers_mut().insert("oci-subject", subject);
    }
    Ok(response)
}

/// The media type: `Content-Type`, else the body's `mediaType`; both must agree and be known.
fn media_type(headers: &HeaderMap, json: &serde_json::Value) -> Result<String, RegistryError> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned())
        .filter(|v| !v.is_empty() && v != "application/json");
    let inner = json["mediaType"].as_str();
    let media_type = match (declared, inner) {
        (Some(d), Some(i)) if d != i => {
            return Err(oci(
                OciCode::ManifestInvalid,
                format!("Content-Type {d} differs from mediaType {i}"),
            ));
        }
        (Some(d), _) => d,
        (None, Some(i)) => i.to_owned(),
        (None, None) if json["manifests"].is_array() => OCI_INDEX.to_owned(),
        (None, None) => OCI_MANIFEST.to_owned(),
    };
    if !KNOWN.contains(&media_type.as_str()) {
        return Err(oci(
            OciCode::ManifestInvalid,
            format!("unsupported manifest media type {media_type}"),
        ));
    }
    if json["schemaVersion"].as_i64() != Some(2) {
        return Err(oci(OciCode::ManifestInvalid, "schemaVersion must be 2"));
    }
    Ok(media_type)
}

/// What a manifest references.
struct References {
    blobs: Vec<String>,
    manifests: Vec<String>,
}

fn references(media_type: &str, json: &serde_json::Value) -> Result<References, RegistryError> {
    let digest_of = |descriptor: &serde_json::Value| -> Result<String, RegistryError> {
        let text = descriptor["digest"].as_str().unwrap_or_default();
        super::digest(text).map(|d| d.to_string()).map_err(|_| {
            oci(
                OciCode::ManifestInvalid,
                format!("invalid descriptor digest {text:?}"),
            )
        })
    };
    let mut refs = References {
        blobs: Vec::new(),
        manifests: Vec::new(),
    };
    if media_type == OCI_INDEX || media_type == DOCKER_LIST {
        let children = json["manifests"]
            .as_array()
            .ok_or_else(|| oci(OciCode::ManifestInvalid, "an index needs manifests"))?;
        for child in children {
            refs.manifests.push(digest_of(child)?);
        }
        return Ok(refs);
    }
    if !json["config"].is_object() {
        return Err(oci(
            OciCode::ManifestInvalid,
            "an image manifest needs a config",
        ));
    }
    refs.blobs.push(digest_of(&json["config"])?);
    let layers = json["layers"]
        .as_array()
        .ok_or_else(|| oci(OciCode::ManifestInvalid, "an image manifest needs layers"))?;
    for layer in layers {
        // Foreign (non-distributable) layers are fetched from their URLs, not from here.
        let kind = layer["mediaType"].as_str().unwrap_or_default();
        if kind.contains("foreign") || kind.contains("nondistributable") {
            continue;
        }
        refs.blobs.push(digest_of(layer)?);
    }
    Ok(refs)
}

/// `DELETE /v2/<name>/manifests/<reference>`: by digest removes the manifest and its tags, by
/// tag only the tag (202).
pub async fn delete(
    registry: &Registry,
    name: &str,
    text: &str,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    let repo = registry.repository(&name).await?;
    let deleted = match reference(text)? {
        Reference::Digest(d) => q::delete_manifest(registry.db(), repo.id, d.as_str()).await?,
        Reference::Tag(tag) => q::delete_tag(registry.db(), repo.id, &tag).await?,
    };
    if !deleted {
        return Err(unknown(text));
    }
    Ok(StatusCode::ACCEPTED.into_response())
}
