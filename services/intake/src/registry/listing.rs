//! `GET /v2/<name>/tags/list` (`n`/`last` pagination, `Link` to the next page) and the
//! referrers API (`GET /v2/<name>/referrers/<digest>[?artifactType=]`).

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bencher_db::queries::registry as q;

use super::error::{OciCode, RegistryError, oci};
use super::manifests::OCI_INDEX;
use super::{Registry, digest, repository_name};

/// The tags of a repository in lexical order.
pub async fn tags(
    registry: &Registry,
    name: &str,
    query: &HashMap<String, String>,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    let repo = registry.repository(&name).await?;
    let n = match query.get("n") {
        Some(n) => Some(n.parse::<usize>().map_err(|_| {
            oci(OciCode::Unsupported, format!("invalid n {n:?}"))
                .with_status(StatusCode::BAD_REQUEST)
        })?),
        None => None,
    };
    let last = query.get("last").map(String::as_str);
    // One more than asked tells whether a next page exists.
    let mut tags = q::tags(registry.db(), repo.id, last, n.map(|n| n + 1)).await?;
    let more = n.is_some_and(|n| tags.len() > n);
    if let Some(n) = n {
        tags.truncate(n);
    }
    let body = serde_json::json!({ "name": name.as_str(), "tags": tags });
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if let (true, Some(n), Some(last)) = (more, n, tags.last()) {
        let link = format!("</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\"");
        if let Ok(value) = link.parse() {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// The manifests whose subject is `subject`, as an image index.
pub async fn referrers(
    registry: &Registry,
    name: &str,
    subject: &str,
    query: &HashMap<String, String>,
) -> Result<Response, RegistryError> {
    let name = repository_name(name)?;
    let subject = digest(subject)?;
    let repo = registry.repository(&name).await?;
    let filter = query.get("artifactType").map(String::as_str);
    let rows = q::referrers(registry.db(), repo.id, subject.as_str(), filter).await?;
    let manifests: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|row| {
            let mut descriptor = serde_json::json!({
                "mediaType": row.media_type,
                "digest": row.digest,
                "size": row.size,
            });
            if let Some(kind) = row.artifact_type {
                descriptor["artifactType"] = kind.into();
            }
            if let Some(annotations) = row.annotations {
                descriptor["annotations"] = annotations;
            }
            descriptor
        })
        .collect();
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": manifests,
    });
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, OCI_INDEX)],
        body.to_string(),
    )
        .into_response();
    if filter.is_some() {
        response.headers_mut().insert(
            "oci-filters-applied",
            axum::http::HeaderValue::from_static("artifactType"),
        );
    }
    Ok(response)
}
