//! Registry auth with the Docker token flow (a token secret configured): `/v2/` challenges,
//! skopeo fetches anonymous tokens by itself to push to an unclaimed project, a claimed project
//! refuses pushes without a token granting push (401 with the scope to ask for) and accepts
//! them with an API token's credentials, a token for project A is refused on project B, private
//! projects refuse anonymous pulls, and forged or expired tokens count for nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod registry_common;

use anyhow::{Context, Result};
use bencher_intake::registry::auth::{Access, mint};
use bencher_testkit::db::Backend;
use registry_common::{OCI_MANIFEST, RegistryStack, busybox_layout, error_code, sha256};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};

const SECRET: &str = "test-registry-secret";

async fn start() -> Result<RegistryStack> {
    RegistryStack::start_with(Backend::Sqlite, |c| {
        c.registry.token_secret = Some(SECRET.to_owned());
    })
    .await
}

/// Marks project `slug` claimed (and private when asked).
async fn claim(stack: &RegistryStack, slug: &str, private: bool) -> Result<i64> {
    let project = bencher_db::queries::registry::repository(&stack.db, &slug.parse()?)
        .await?
        .context("project")?;
    let org = project.organization_id;
    let mut active = project.into_active_model();
    active.claimed = Set(true);
    if private {
        active.visibility = Set("private".to_owned());
    }
    active.update(&stack.db).await?;
    Ok(org)
}

/// An API token of `org` with `scopes`; its secret.
async fn api_token(stack: &RegistryStack, org: i64, scopes: &[&str]) -> Result<String> {
    use bencher_db::entities::token;
    let secret = format!("bencher-key-{}", uuid::Uuid::new_v4().simple());
    let now = chrono::Utc::now();
    token::ActiveModel {
        uuid: Set(uuid::Uuid::now_v7()),
        organization_id: Set(Some(org)),
        name: Set("ci".to_owned()),
        secret_hash: Set(sha256(secret.as_bytes())[7..].to_owned()),
        scopes: Set(serde_json::json!(scopes)),
        created: Set(now),
        expiration: Set(now + chrono::Duration::hours(1)),
        revoked: Set(None),
        ..Default::default()
    }
    .insert(&stack.db)
    .await?;
    Ok(secret)
}

/// A token from the token endpoint for `scope`, with optional Basic credentials.
async fn fetch_token(stack: &RegistryStack, scope: &str, key: Option<&str>) -> Result<String> {
    let mut request = stack
        .http
        .get(stack.url("/v0/auth/oci/token"))
        .query(&[("service", "bencher"), ("scope", scope)]);
    if let Some(key) = key {
        request = request.basic_auth("ci", Some(key));
    }
    let response = request.send().await?;
    anyhow::ensure!(response.status() == 200, "token: {}", response.status());
    let body: serde_json::Value = response.json().await?;
    Ok(body["token"].as_str().context("token")?.to_owned())
}

fn granted(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap_or_default();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_default();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default()["access"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_token_flow_guards_claimed_and_private_projects() -> Result<()> {
    let stack = start().await?;
    // The challenge.
    let base = stack.http.get(stack.url("/v2/")).send().await?;
    assert_eq!(base.status(), 401);
    let challenge = base.headers()["www-authenticate"].to_str()?.to_owned();
    assert_eq!(
        challenge,
        format!(
            "Bearer realm=\"http://{}/v0/auth/oci/token\",service=\"bencher\"",
            stack.host()
        )
    );

    // skopeo does the whole flow by itself for an unclaimed (new) project, push and pull.
    let (_layout, src) = busybox_layout("v1")?;
    stack.skopeo_push(&src, "open-project:v1", &[])?;
    stack.skopeo_inspect("open-project:v1", true)?;

    // Claimed: anonymous pushes are challenged with the scope to ask for.
    let org = claim(&stack, "open-project", false).await?;
    let anonymous_push = stack
        .put_manifest("open-project", "v2", OCI_MANIFEST, &serde_json::json!({}))
        .await?;
    assert_eq!(anonymous_push.status(), 401);
    let challenge = anonymous_push.headers()["www-authenticate"]
        .to_str()?
        .to_owned();
    assert!(
        challenge.contains("scope=\"repository:open-project:pull,push\""),
        "{challenge}"
    );
    assert_eq!(error_code(anonymous_push).await?, "UNAUTHORIZED");
    // An anonymous token gets only pull there; with it a push is still refused.
    let weak = fetch_token(&stack, "repository:open-project:pull,push", None).await?;
    assert_eq!(granted(&weak)[0]["actions"], serde_json::json!(["pull"]));
    let refused = stack
        .http
        .post(stack.url("/v2/open-project/blobs/uploads/"))
        .bearer_auth(&weak)
        .send()
        .await?;
    assert_eq!(refused.status(), 401);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()?
            .contains("insufficient_scope")
    );
    // Public pulls stay anonymous.
    stack.skopeo_inspect("open-project:v1", true)?;

    // An API token with push rights: skopeo with credentials, and raw requests with its JWT.
    let key = api_token(&stack, org, &["registry:push"]).await?;
    stack.skopeo_push(
        &src,
        "open-project:v3",
        &["--dest-creds", &format!("ci:{key}")],
    )?;
    let strong = fetch_token(&stack, "repository:open-project:pull,push", Some(&key)).await?;
    assert_eq!(
        granted(&strong)[0]["actions"],
        serde_json::json!(["pull", "push"])
    );
    let started = stack
        .http
        .post(stack.url("/v2/open-project/blobs/uploads/"))
        .bearer_auth(&strong)
        .send()
        .await?;
    assert_eq!(started.status(), 202);
    let wrong_key = stack
        .http
        .get(stack.url("/v0/auth/oci/token?scope=repository:open-project:push"))
        .basic_auth("ci", Some("not-a-key"))
        .send()
        .await?;
    assert_eq!(wrong_key.status(), 401);
    // The POST form variant.
    let form = stack
        .http
        .post(stack.url("/v0/auth/oci/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=password&service=bencher&username=ci&password={key}&scope=repository%3Aopen-project%3Apush"
        ))
        .send()
        .await?;
    let body: serde_json::Value = form.json().await?;
    assert_eq!(
        granted(body["access_token"].as_str().unwrap_or_default())[0]["actions"],
        serde_json::json!(["push"])
    );

    // A token for project A is refused on project B (claimed, another organization).
    stack.push_blob("other-project", b"x").await?;
    claim(&stack, "other-project", true).await?;
    let cross = stack
        .http
        .post(stack.url("/v2/other-project/blobs/uploads/"))
        .bearer_auth(&strong)
        .send()
        .await?;
    assert_eq!(cross.status(), 401);
    let scoped_elsewhere =
        fetch_token(&stack, "repository:other-project:pull,push", Some(&key)).await?;
    assert_eq!(
        granted(&scoped_elsewhere)[0]["actions"],
        serde_json::json!([])
    );
    // Private: no anonymous pulls.
    let digest = sha256(b"x");
    let private_pull = stack
        .http
        .head(stack.url(&format!("/v2/other-project/blobs/{digest}")))
        .send()
        .await?;
    assert_eq!(private_pull.status(), 401);

    // Forged and expired tokens count for nothing.
    let access = vec![Access {
        kind: "repository".to_owned(),
        name: "open-project".to_owned(),
        actions: vec!["push".to_owned()],
    }];
    let forged = mint("another-secret", "x", access.clone(), 60)?;
    let expired = mint(SECRET, "x", access.clone(), 0)?;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for bad in [forged, expired] {
        let sent = stack
            .http
            .post(stack.url("/v2/open-project/blobs/uploads/"))
            .bearer_auth(&bad)
            .send()
            .await?;
        assert_eq!(sent.status(), 401);
    }
    let valid = mint(SECRET, "x", access, 60)?;
    let base = stack
        .http
        .get(stack.url("/v2/"))
        .bearer_auth(&valid)
        .send()
        .await?;
    assert_eq!(base.status(), 200);
    stack.stop().await
}
