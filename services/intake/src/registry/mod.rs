//! The built-in OCI registry: the distribution API v1.1 under `/v2/`, on intake's port.
//!
//! Layout:
//! - [`router`]: the routes; every `/v2/<name>/...` request goes through one dispatcher that
//!   splits the path (repository names are project slugs) and the method.
//! - [`error`]: spec errors (`{"errors":[{"code":...}]}`) and their statuses.
//! - [`store`]: blob bytes in an `object_store` (local directory or S3), streamed and hashed.
//! - [`blobs`]: `HEAD`/`GET` (with `Range`)/`DELETE` of blobs.
//! - [`uploads`]: monolithic, chunked and resumable uploads and cross-repository mounts; the
//!   sessions live in the database so any replica may serve the next chunk.
//! - [`manifests`]: `HEAD`/`GET`/`PUT`/`DELETE` by tag or digest, stored bytes served verbatim.
//! - [`listing`]: tags list with `n`/`last` pagination and `Link`; the referrers API.
//! - [`auth`]: the Docker token flow (`/v0/auth/oci/token`), on when a token secret is set.

pub mod auth;
pub mod blobs;
pub mod error;
pub mod listing;
pub mod manifests;
pub mod store;
pub mod uploads;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use bencher_db::entities::project;
use bencher_db::queries::registry as q;
use bencher_runtime::config::RegistryConfig;
use bencher_wire::Slug;
use bencher_wire::image::Digest;
use object_store::ObjectStore;
use tokio::sync::OnceCell;

use crate::state::IntakeState;
use error::oci;
pub use error::{OciCode, RegistryError};

/// The header every `/v2/` answer carries.
pub const API_VERSION: (&str, &str) = ("docker-distribution-api-version", "registry/2.0");

/// What registry handlers share; cheap to clone.
#[derive(Clone, Debug)]
pub struct Registry {
    pub(crate) intake: IntakeState,
    store: Arc<OnceCell<Arc<dyn ObjectStore>>>,
    config: RegistryConfig,
    /// When this process last swept stale uploads (Unix seconds).
    last_sweep: Arc<AtomicI64>,
}

impl Registry {
    /// The registry of `intake` (its store opens on first use).
    pub fn new(intake: IntakeState) -> Self {
        let config = intake.ctx().config.registry.clone();
        Self {
            intake,
            store: Arc::new(OnceCell::new()),
            config,
            last_sweep: Arc::new(AtomicI64::new(0)),
        }
    }

    /// The database.
    pub fn db(&self) -> &bencher_db::DatabaseConnection {
        self.intake.db()
    }

    /// The limits.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// The object store, opened on first use.
    pub async fn store(&self) -> Result<Arc<dyn ObjectStore>, RegistryError> {
        let config = self.intake.ctx().config.clone();
        self.store
            .get_or_try_init(|| async move { store::open(&config) })
            .await
            .cloned()
    }

    /// The existing repository `name`, or `NAME_UNKNOWN`.
    pub async fn repository(&self, name: &Slug) -> Result<project::Model, RegistryError> {
        q::repository(self.db(), name)
            .await?
            .ok_or_else(|| oci(OciCode::NameUnknown, format!("repository {name} not known")))
    }

    /// The repository `name`, created unclaimed by a first push.
    pub async fn repository_for_push(&self, name: &Slug) -> Result<project::Model, RegistryError> {
        Ok(q::get_or_create_repository(self.db(), name).await?)
    }
}

/// The `/v2/` routes, to merge into intake's router.
pub fn router(intake: IntakeState) -> Router {
    let registry = Registry::new(intake.clone());
    Router::new()
        .route("/v2/", get(base))
        .route("/v2", get(base))
        .route("/v2/{*path}", any(dispatch))
        .with_state(registry)
        .route("/v0/auth/oci/token", get(auth::token).post(auth::token))
        .with_state(intake)
}

/// `GET /v2/`: the API version check every client starts with (the auth challenge too).
async fn base(State(registry): State<Registry>, headers: HeaderMap) -> Response {
    with_api_version(match auth::check_base(&registry, &headers) {
        Ok(()) => (StatusCode::OK, [("content-type", "application/json")], "{}").into_response(),
        Err(err) => err.into_response(),
    })
}

/// Adds the API version header.
pub fn with_api_version(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(API_VERSION.0, HeaderValue::from_static(API_VERSION.1));
    response
}

/// What a `/v2/<name>/...` path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `/v2/<name>/blobs/<digest>`.
    Blob(String, String),
    /// `/v2/<name>/blobs/uploads/`.
    Uploads(String),
    /// `/v2/<name>/blobs/uploads/<session>`.
    Upload(String, String),
    /// `/v2/<name>/manifests/<reference>`.
    Manifest(String, String),
    /// `/v2/<name>/tags/list`.
    Tags(String),
    /// `/v2/<name>/referrers/<digest>`.
    Referrers(String, String),
}

impl Target {
    /// Splits the path after `/v2/`; `None` when it names nothing of the API.
    pub fn parse(path: &str) -> Option<Self> {
        let split = |sep: &str| {
            path.rfind(sep)
                .map(|at| (path[..at].to_owned(), path[at + sep.len()..].to_owned()))
        };
        if let Some(name) = path.strip_suffix("/tags/list") {
            return Some(Self::Tags(name.to_owned()));
        }
        if let Some(name) = path.strip_suffix("/blobs/uploads") {
            return Some(Self::Uploads(name.to_owned()));
        }
        if let Some((name, rest)) = split("/blobs/uploads/") {
            return Some(if rest.is_empty() {
                Self::Uploads(name)
            } else {
                Self::Upload(name, rest)
            });
        }
        let (kind, name, rest) = ["/blobs/", "/manifests/", "/referrers/"]
            .into_iter()
            .filter_map(|sep| split(sep).map(|(n, r)| (sep, n, r)))
            .max_by_key(|(_, n, _)| n.len())?;
        if rest.is_empty() || rest.contains('/') {
            return None;
        }
        Some(match kind {
            "/blobs/" => Self::Blob(name, rest),
            "/manifests/" => Self::Manifest(name, rest),
            _ => Self::Referrers(name, rest),
        })
    }
}

impl Target {
    /// The repository and the action (`pull` or `push`) a request with `method` needs.
    pub fn repository_action(&self, method: &Method) -> (&str, &'static str) {
        let name = match self {
            Self::Blob(n, _)
            | Self::Uploads(n)
            | Self::Upload(n, _)
            | Self::Manifest(n, _)
            | Self::Tags(n)
            | Self::Referrers(n, _) => n.as_str(),
        };
        let action = if *method == Method::GET || *method == Method::HEAD {
            "pull"
        } else {
            "push"
        };
        (name, action)
    }
}

/// A repository name, which must be a project slug.
pub fn repository_name(name: &str) -> Result<Slug, RegistryError> {
    name.parse::<Slug>().map_err(|_| {
        oci(
            OciCode::NameInvalid,
            format!("invalid repository name {name:?}: names are project slugs"),
        )
    })
}

/// A digest from a path or query, `DIGEST_INVALID` otherwise.
pub fn digest(text: &str) -> Result<Digest, RegistryError> {
    Digest::parse(text).map_err(|_| oci(OciCode::DigestInvalid, format!("invalid digest {text:?}")))
}

/// Every `/v2/<name>/...` request.
async fn dispatch(
    State(registry): State<Registry>,
    UrlPath(path): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = route(&registry, &path, &query, &method, &headers, body).await;
    with_api_version(match result {
        Ok(response) => response,
        Err(err) => err.into_response(),
    })
}

async fn route(
    registry: &Registry,
    path: &str,
    query: &HashMap<String, String>,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, RegistryError> {
    let Some(target) = Target::parse(path) else {
        return Err(
            oci(OciCode::NameUnknown, format!("no such path /v2/{path}"))
                .with_status(StatusCode::NOT_FOUND),
        );
    };
    let (name, action) = target.repository_action(method);
    auth::authorize(registry, headers, name, action).await?;
    let mut query = query.clone();
    if let (Some(from), Some(_)) = (query.get("from").cloned(), query.get("mount"))
        && auth::authorize(registry, headers, &from, "pull")
            .await
            .is_err()
    {
        // A mount from a repository the caller may not read becomes a plain upload.
        query.remove("mount");
    }
    let query = &query;
    let unsupported = || {
        Err(oci(
            OciCode::Unsupported,
            format!("{method} is not supported on /v2/{path}"),
        ))
    };
    match target {
        Target::Blob(name, reference) => match *method {
            Method::GET => blobs::get(registry, &name, &reference, headers, false).await,
            Method::HEAD => blobs::get(registry, &name, &reference, headers, true).await,
            Method::DELETE => blobs::delete(registry, &name, &reference).await,
            _ => unsupported(),
        },
        Target::Uploads(name) => match *method {
            Method::POST => uploads::start(registry, &name, query, headers, body).await,
            _ => unsupported(),
        },
        Target::Upload(name, session) => {
            let session = uploads::Session::locate(registry, &name, &session).await?;
            match *method {
                Method::PATCH => uploads::patch(registry, session, headers, body).await,
                Method::PUT => uploads::finish(registry, session, query, headers, body).await,
                Method::GET => Ok(uploads::status(&session)),
                Method::DELETE => uploads::cancel(registry, session).await,
                _ => unsupported(),
            }
        }
        Target::Manifest(name, reference) => match *method {
            Method::GET => manifests::get(registry, &name, &reference, headers, false).await,
            Method::HEAD => manifests::get(registry, &name, &reference, headers, true).await,
            Method::PUT => manifests::put(registry, &name, &reference, headers, body).await,
            Method::DELETE => manifests::delete(registry, &name, &reference).await,
            _ => unsupported(),
        },
        Target::Tags(name) => match *method {
            Method::GET => listing::tags(registry, &name, query).await,
            _ => unsupported(),
        },
        Target::Referrers(name, subject) => match *method {
            Method::GET => listing::referrers(registry, &name, &subject, query).await,
            _ => unsupported(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_at_the_last_api_segment() {
        let s = |a: &str| a.to_owned();
        assert_eq!(
            Target::parse("demo/blobs/sha256:ab"),
            Some(Target::Blob(s("demo"), s("sha256:ab")))
        );
        assert_eq!(
            Target::parse("demo/blobs/uploads/"),
            Some(Target::Uploads(s("demo")))
        );
        assert_eq!(
            Target::parse("demo/blobs/uploads/abc"),
            Some(Target::Upload(s("demo"), s("abc")))
        );
        assert_eq!(
            Target::parse("a/manifests/b/manifests/v1"),
            Some(Target::Manifest(s("a/manifests/b"), s("v1")))
        );
        assert_eq!(
            Target::parse("demo/tags/list"),
            Some(Target::Tags(s("demo")))
        );
        assert_eq!(
            Target::parse("demo/referrers/sha256:ab"),
            Some(Target::Referrers(s("demo"), s("sha256:ab")))
        );
        assert_eq!(Target::parse("demo/other"), None);
        assert_eq!(Target::parse("demo/manifests/"), None);
    }
}
