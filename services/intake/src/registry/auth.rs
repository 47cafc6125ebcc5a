//! Registry auth with the Docker token flow, on when `registry.token_secret` is set.
//!
//! `/v2/` answers 401 with `WWW-Authenticate: Bearer realm=".../v0/auth/oci/token",
//! service="bencher"` to requests without a valid token; clients then fetch a short-lived HS256
//! JWT from [`token`] (anonymously, or with Basic credentials whose password is an API token)
//! scoped `repository:<project>:pull[,push]`, and send it as `Authorization: Bearer`.
//!
//! What may be done to a repository, with or without a token: anyone may pull a public project
//! and push to an unclaimed (or not yet existing) one; a claimed project needs a token granting
//! push, a private one a token granting pull. API tokens grant `pull` with the scope
//! `registry:pull`, `pull` and `push` with `registry:push` or `admin`, on the projects of their
//! organization (every project for a token without organization).

use std::collections::BTreeSet;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bencher_db::entities::{project, token};
use bencher_db::queries::registry as q;
use bencher_wire::Slug;
use sha2::Digest as _;

use super::Registry;
use super::error::{OciCode, RegistryError, oci};
use crate::state::IntakeState;

pub use bencher_oci::token::{Access, Claims, ISSUER, SERVICE, verify};

/// Signs a token for `access`, valid `ttl_secs`.
pub fn mint(
    secret: &str,
    subject: &str,
    access: Vec<Access>,
    ttl_secs: u64,
) -> Result<String, RegistryError> {
    bencher_oci::token::mint(secret, subject, access, ttl_secs)
        .map_err(|e| oci(OciCode::Unsupported, format!("token signing failed: {e}")))
}

/// The bearer token of a request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// What anyone may do to a repository.
fn anonymous(project: Option<&project::Model>) -> BTreeSet<&'static str> {
    match project {
        None => BTreeSet::from(["pull", "push"]),
        Some(p) if !p.claimed => BTreeSet::from(["pull", "push"]),
        Some(p) if p.visibility == "public" => BTreeSet::from(["pull"]),
        Some(_) => BTreeSet::new(),
    }
}

/// What an API token may do to a repository.
fn granted(api: &token::Model, project: Option<&project::Model>) -> BTreeSet<&'static str> {
    let in_scope = match (api.organization_id, project) {
        (None, _) => true,
        (Some(org), Some(p)) => org == p.organization_id,
        (Some(_), None) => false,
    };
    let scopes: Vec<String> = serde_json::from_value(api.scopes.clone()).unwrap_or_default();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    match (
        in_scope,
        has("registry:push") || has("admin"),
        has("registry:pull"),
    ) {
        (false, _, _) => BTreeSet::new(),
        (true, true, _) => BTreeSet::from(["pull", "push"]),
        (true, false, true) => BTreeSet::from(["pull"]),
        (true, false, false) => BTreeSet::new(),
    }
}

/// The challenge answer: 401 `UNAUTHORIZED` with `WWW-Authenticate`, for `scope` if given.
pub fn challenge(registry: &Registry, scope: Option<&str>, insufficient: bool) -> RegistryError {
    let mut value = format!(
        "Bearer realm=\"{}/v0/auth/oci/token\",service=\"{SERVICE}\"",
        registry.intake.public().http
    );
    if let Some(scope) = scope {
        value.push_str(&format!(",scope=\"{scope}\""));
    }
    if insufficient {
        value.push_str(",error=\"insufficient_scope\"");
    }
    RegistryError::Challenge(value)
}

/// Whether the request may do `action` (`pull`/`push`) on repository `name`; the challenge to
/// answer otherwise. Always allowed when auth is off.
pub async fn authorize(
    registry: &Registry,
    headers: &HeaderMap,
    name: &str,
    action: &str,
) -> Result<(), RegistryError> {
    let Some(secret) = registry.config().token_secret.as_deref() else {
        return Ok(());
    };
    let slug: Option<Slug> = name.parse().ok();
    let project = match &slug {
        Some(slug) => q::repository(registry.db(), slug).await?,
        None => None,
    };
    if anonymous(project.as_ref()).contains(action) {
        return Ok(());
    }
    let token = bearer(headers);
    let claims = token.and_then(|t| verify(secret, t));
    let allowed = claims.as_ref().is_some_and(|c| {
        c.access.iter().any(|a| {
            a.kind == "repository" && a.name == name && a.actions.iter().any(|x| x == action)
        })
    });
    if allowed {
        return Ok(());
    }
    let scope = format!(
        "repository:{name}:{}",
        if action == "push" {
            "pull,push"
        } else {
            "pull"
        }
    );
    Err(challenge(registry, Some(&scope), claims.is_some()))
}

/// `GET /v2/` under auth: 200 with a valid token, the challenge otherwise.
pub fn check_base(registry: &Registry, headers: &HeaderMap) -> Result<(), RegistryError> {
    match registry.config().token_secret.as_deref() {
        None => Ok(()),
        Some(secret) if bearer(headers).and_then(|t| verify(secret, t)).is_some() => Ok(()),
        Some(_) => Err(challenge(registry, None, false)),
    }
}

/// `GET /v0/auth/oci/token?service=&scope=...` (Basic credentials optional) and the `POST`
/// form variant (`grant_type=password`, `username`, `password`, `scope`): a token granting,
/// of what each scope asks, what the caller may do.
pub async fn token(
    State(intake): State<IntakeState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let registry = Registry::new(intake);
    let mut params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    params.extend(form_urlencoded::parse(body.as_bytes()).into_owned());
    match issue(&registry, &headers, &params).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn issue(
    registry: &Registry,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<Response, RegistryError> {
    let Some(secret) = registry.config().token_secret.clone() else {
        return Err(oci(OciCode::Unsupported, "registry auth is not enabled")
            .with_status(StatusCode::NOT_FOUND));
    };
    let password = params
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .or_else(|| basic_password(headers));
    let api = match password {
        Some(secret_text) => {
            let hash = hex::encode(sha2::Sha256::digest(secret_text.as_bytes()));
            Some(q::api_token(registry.db(), &hash).await?.ok_or_else(|| {
                oci(OciCode::Unauthorized, "invalid credentials")
                    .with_status(StatusCode::UNAUTHORIZED)
            })?)
        }
        None => None,
    };
    let mut access = Vec::new();
    for scope in params.iter().filter(|(k, _)| k == "scope").map(|(_, v)| v) {
        for one in scope.split(' ') {
            let mut parts = one.splitn(3, ':');
            let (Some("repository"), Some(name), Some(actions)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let project = match name.parse::<Slug>() {
                Ok(slug) => q::repository(registry.db(), &slug).await?,
                Err(_) => continue,
            };
            let mut may = anonymous(project.as_ref());
            if let Some(api) = &api {
                may.extend(granted(api, project.as_ref()));
            }
            let actions: Vec<String> = actions
                .split(',')
                .filter(|a| may.contains(a))
                .map(str::to_owned)
                .collect();
            access.push(Access {
                kind: "repository".to_owned(),
                name: name.to_owned(),
                actions,
            });
        }
    }
    let subject = api.map_or_else(|| "anonymous".to_owned(), |t| t.uuid.to_string());
    let ttl = registry.config().token_ttl_secs;
    let token = mint(&secret, &subject, access, ttl)?;
    let body = serde_json::json!({
        "token": token,
        "access_token": token,
        "expires_in": ttl,
        "issued_at": chrono::Utc::now().to_rfc3339(),
    });
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response())
}

/// The password of `Authorization: Basic`.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':').map(|(_, p)| p.to_owned())
}
