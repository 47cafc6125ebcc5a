//! The distribution-spec conformance checks for blobs and uploads, ported to Rust against the
//! built-in registry: status codes, headers, error codes, monolithic, chunked and resumed
//! uploads with their ordering and range rules, mounts, concurrent pushes of one blob, digest
//! verification (nothing stored on a mismatch), invalid digests (400), the size limit (413),
//! stale session removal, and unclaimed project creation on first push.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod registry_common;

on_both_backends!(
    base_blobs_and_ranges,
    chunked_resumed_and_out_of_order_uploads,
    mismatched_digests_store_nothing,
    mounts_and_concurrent_pushes,
    size_limit_stale_sessions_and_unclaimed_projects
);

use anyhow::{Context, Result};
use bencher_intake::registry::{Registry, uploads};
use bencher_testkit::db::Backend;
use registry_common::{RegistryStack, error_code, sha256};

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn base_blobs_and_ranges(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |_| {}).await?;
    let base = stack.http.get(stack.url("/v2/")).send().await?;
    assert_eq!(base.status(), 200);
    assert_eq!(
        header(&base, "docker-distribution-api-version"),
        "registry/2.0"
    );

    let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let digest = sha256(&bytes);
    let pushed = stack
        .http
        .post(stack.url(&format!("/v2/demo/blobs/uploads/?digest={digest}")))
        .body(bytes.clone())
        .send()
        .await?;
    assert_eq!(pushed.status(), 201);
    assert_eq!(
        header(&pushed, "location"),
        format!("/v2/demo/blobs/{digest}")
    );
    assert_eq!(header(&pushed, "docker-content-digest"), digest);

    let blob = stack.url(&format!("/v2/demo/blobs/{digest}"));
    let head = stack.http.head(&blob).send().await?;
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), "1000");
    assert_eq!(header(&head, "docker-content-digest"), digest);
    let got = stack.http.get(&blob).send().await?;
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await?.as_ref(), bytes.as_slice());

    let part = stack
        .http
        .get(&blob)
        .header("range", "bytes=10-19")
        .send()
        .await?;
    assert_eq!(part.status(), 206);
    assert_eq!(header(&part, "content-range"), "bytes 10-19/1000");
    assert_eq!(part.bytes().await?.as_ref(), &bytes[10..20]);
    let tail = stack
        .http
        .get(&blob)
        .header("range", "bytes=-5")
        .send()
        .await?;
    assert_eq!(tail.bytes().await?.as_ref(), &bytes[995..]);
    let outside = stack
        .http
        .get(&blob)
        .header("range", "bytes=1000-")
        .send()
        .await?;
    assert_eq!(outside.status(), 416);

    // Unknown blob, unknown repository, invalid name, invalid digests.
    let unknown = sha256(b"nothing");
    let missing = stack
        .http
        .get(stack.url(&format!("/v2/demo/blobs/{unknown}")))
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    assert_eq!(error_code(missing).await?, "BLOB_UNKNOWN");
    let no_repo = stack
        .http
        .head(stack.url(&format!("/v2/nobody/blobs/{digest}")))
        .send()
        .await?;
    assert_eq!(no_repo.status(), 404);
    let bad_name = stack
        .http
        .get(stack.url("/v2/Demo/tags/list"))
        .send()
        .await?;
    assert_eq!(bad_name.status(), 400);
    assert_eq!(error_code(bad_name).await?, "NAME_INVALID");
    for bad in [
        "sha256:xyz",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha256:ABC",
    ] {
        let got = stack
            .http
            .get(stack.url(&format!("/v2/demo/blobs/{bad}")))
            .send()
            .await?;
        assert_eq!(got.status(), 400, "{bad}");
        assert_eq!(error_code(got).await?, "DIGEST_INVALID");
        let post = stack
            .http
            .post(stack.url(&format!("/v2/demo/blobs/uploads/?digest={bad}")))
            .body("x")
            .send()
            .await?;
        assert_eq!(post.status(), 400, "{bad}");
    }

    // Delete unlinks: 202, then 404.
    let deleted = stack.http.delete(&blob).send().await?;
    assert_eq!(deleted.status(), 202);
    assert_eq!(stack.http.head(&blob).send().await?.status(), 404);
    stack.stop().await
}

async fn chunked_resumed_and_out_of_order_uploads(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |_| {}).await?;
    let bytes: Vec<u8> = (0..30u8).collect();
    let digest = sha256(&bytes);

    let started = stack
        .http
        .post(stack.url("/v2/chunks/blobs/uploads/"))
        .send()
        .await?;
    assert_eq!(started.status(), 202);
    let location = header(&started, "location");
    assert!(
        location.starts_with("/v2/chunks/blobs/uploads/"),
        "{location}"
    );
    assert_eq!(
        location.rsplit('/').next(),
        Some(header(&started, "docker-upload-uuid").as_str())
    );
    let session = stack.url(&location);

    let patch = |range: &str, body: &[u8]| {
        stack
            .http
            .patch(&session)
            .header("content-type", "application/octet-stream")
            .header("content-range", range)
            .body(body.to_vec())
            .send()
    };
    let first = patch("0-9", &bytes[..10]).await?;
    assert_eq!(first.status(), 202);
    assert_eq!(header(&first, "range"), "0-9");
    assert_eq!(header(&first, "location"), location);

    // Out of order (gap, overlap): 416, nothing appended.
    for range in ["15-24", "5-14"] {
        let refused = patch(range, &bytes[..10]).await?;
        assert_eq!(refused.status(), 416, "{range}");
    }
    // A Content-Range whose length differs from the body: 400.
    let short = patch("10-19", &bytes[10..15]).await?;
    assert_eq!(short.status(), 400);
    assert_eq!(error_code(short).await?, "BLOB_UPLOAD_INVALID");

    // Resume: the status says where to go on.
    let status = stack.http.get(&session).send().await?;
    assert_eq!(status.status(), 204);
    assert_eq!(header(&status, "range"), "0-9");
    assert_eq!(patch("10-19", &bytes[10..20]).await?.status(), 202);
    // A PATCH without Content-Range appends (skopeo sends one like this).
    let streamed = stack
        .http
        .patch(&session)
        .body(bytes[20..25].to_vec())
        .send()
        .await?;
    assert_eq!(header(&streamed, "range"), "0-24");
    // The last chunk comes with the PUT.
    let finished = stack
        .http
        .put(format!("{session}?digest={digest}"))
        .header("content-range", "25-29")
        .body(bytes[25..].to_vec())
        .send()
        .await?;
    assert_eq!(finished.status(), 201);
    assert_eq!(header(&finished, "docker-content-digest"), digest);
    let got = stack
        .http
        .get(stack.url(&format!("/v2/chunks/blobs/{digest}")))
        .send()
        .await?;
    assert_eq!(got.bytes().await?.as_ref(), bytes.as_slice());
    // The session is gone, and so are its chunks.
    let gone = stack.http.get(&session).send().await?;
    assert_eq!(gone.status(), 404);
    assert_eq!(error_code(gone).await?, "BLOB_UPLOAD_UNKNOWN");
    let stored = stack.stored_files();
    assert!(
        stored
            .iter()
            .all(|f| !f.to_string_lossy().contains("/uploads/")),
        "{stored:?}"
    );

    // POST then PUT with the whole body; PUT without digest is refused.
    let started = stack
        .http
        .post(stack.url("/v2/chunks/blobs/uploads/"))
        .send()
        .await?;
    let session = stack.url(&header(&started, "location"));
    let no_digest = stack.http.put(&session).send().await?;
    assert_eq!(no_digest.status(), 400);
    assert_eq!(error_code(no_digest).await?, "DIGEST_INVALID");
    let other = b"posted then put".to_vec();
    let put = stack
        .http
        .put(format!("{session}?digest={}", sha256(&other)))
        .body(other)
        .send()
        .await?;
    assert_eq!(put.status(), 201);

    // DELETE aborts a session.
    let started = stack
        .http
        .post(stack.url("/v2/chunks/blobs/uploads/"))
        .send()
        .await?;
    let session = stack.url(&header(&started, "location"));
    assert_eq!(stack.http.delete(&session).send().await?.status(), 204);
    assert_eq!(stack.http.delete(&session).send().await?.status(), 404);
    stack.stop().await
}

async fn mismatched_digests_store_nothing(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |_| {}).await?;
    let claimed = sha256(b"what the client says");
    let monolithic = stack
        .http
        .post(stack.url(&format!("/v2/liar/blobs/uploads/?digest={claimed}")))
        .body(b"something else".to_vec())
        .send()
        .await?;
    assert_eq!(monolithic.status(), 400);
    assert_eq!(error_code(monolithic).await?, "DIGEST_INVALID");

    // Chunked, several chunks (the whole is re-hashed) and one chunk (hashed on the way).
    for chunks in [
        vec![&b"some"[..], &b"thing else"[..]],
        vec![&b"something else"[..]],
    ] {
        let started = stack
            .http
            .post(stack.url("/v2/liar/blobs/uploads/"))
            .send()
            .await?;
        let session = stack.url(&header(&started, "location"));
        for chunk in chunks {
            assert_eq!(
                stack
                    .http
                    .patch(&session)
                    .body(chunk.to_vec())
                    .send()
                    .await?
                    .status(),
                202
            );
        }
        let put = stack
            .http
            .put(format!("{session}?digest={claimed}"))
            .send()
            .await?;
        assert_eq!(put.status(), 400);
        assert_eq!(error_code(put).await?, "DIGEST_INVALID");
    }
    let head = stack
        .http
        .head(stack.url(&format!("/v2/liar/blobs/{claimed}")))
        .send()
        .await?;
    assert_eq!(head.status(), 404);
    assert_eq!(stack.stored_files(), Vec::<std::path::PathBuf>::new());
    stack.stop().await
}

async fn mounts_and_concurrent_pushes(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |_| {}).await?;
    let digest = stack.push_blob("source", b"shared layer").await?;
    let mounted = stack
        .http
        .post(stack.url(&format!(
            "/v2/target/blobs/uploads/?mount={digest}&from=source"
        )))
        .send()
        .await?;
    assert_eq!(mounted.status(), 201);
    assert_eq!(
        header(&mounted, "location"),
        format!("/v2/target/blobs/{digest}")
    );
    let head = stack
        .http
        .head(stack.url(&format!("/v2/target/blobs/{digest}")))
        .send()
        .await?;
    assert_eq!(head.status(), 200);
    // A mount from a repository without the blob falls back to an upload session.
    let fallback = stack
        .http
        .post(stack.url(&format!(
            "/v2/target/blobs/uploads/?mount={digest}&from=nowhere"
        )))
        .send()
        .await?;
    assert_eq!(fallback.status(), 202);

    // Two clients push the same 3 MiB blob at once, in chunks: both succeed, one blob.
    let bytes: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let digest = sha256(&bytes);
    let push = |repo: &'static str| {
        let (http, base, bytes, digest) = (
            stack.http.clone(),
            stack.url(""),
            bytes.clone(),
            digest.clone(),
        );
        async move {
            let started = http
                .post(format!("{base}/v2/{repo}/blobs/uploads/"))
                .send()
                .await?;
            let session = format!("{base}{}", header(&started, "location"));
            for (i, chunk) in bytes.chunks(1024 * 1024).enumerate() {
                let start = i * 1024 * 1024;
                let range = format!("{start}-{}", start + chunk.len() - 1);
                let sent = http
                    .patch(&session)
                    .header("content-range", range)
                    .body(chunk.to_vec())
                    .send()
                    .await?;
                anyhow::ensure!(sent.status() == 202, "patch {}", sent.status());
            }
            let put = http
                .put(format!("{session}?digest={digest}"))
                .send()
                .await?;
            anyhow::ensure!(put.status() == 201, "put {}", put.status());
            anyhow::Ok(())
        }
    };
    let (a, b) = tokio::join!(tokio::spawn(push("same")), tokio::spawn(push("same")));
    a??;
    b??;
    let got = stack
        .http
        .get(stack.url(&format!("/v2/same/blobs/{digest}")))
        .send()
        .await?;
    assert_eq!(sha256(&got.bytes().await?), digest);
    let blobs: Vec<_> = stack
        .stored_files()
        .into_iter()
        .filter(|f| f.to_string_lossy().contains(&digest[7..]))
        .collect();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    stack.stop().await
}

async fn size_limit_stale_sessions_and_unclaimed_projects(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |c| c.registry.max_upload_bytes = 1000).await?;
    let big = vec![7u8; 2000];
    let over = stack
        .http
        .post(stack.url(&format!("/v2/small/blobs/uploads/?digest={}", sha256(&big))))
        .body(big.clone())
        .send()
        .await?;
    assert_eq!(over.status(), 413);
    assert_eq!(error_code(over).await?, "SIZE_INVALID");
    let started = stack
        .http
        .post(stack.url("/v2/small/blobs/uploads/"))
        .send()
        .await?;
    let session = stack.url(&header(&started, "location"));
    assert_eq!(
        stack
            .http
            .patch(&session)
            .body(vec![1u8; 600])
            .send()
            .await?
            .status(),
        202
    );
    let over = stack
        .http
        .patch(&session)
        .body(vec![1u8; 600])
        .send()
        .await?;
    assert_eq!(over.status(), 413);
    // The session still holds its first 600 bytes.
    let status = stack.http.get(&session).send().await?;
    assert_eq!(header(&status, "range"), "0-599");

    // The push created the project, unclaimed.
    let slug: bencher_wire::Slug = "small".parse()?;
    let project = bencher_db::queries::registry::repository(&stack.db, &slug)
        .await?
        .context("project created by the push")?;
    assert!(!project.claimed);

    // A sweep with a cut-off after the session's last chunk removes it and its chunk.
    let registry = Registry::new(stack.state.clone());
    let removed =
        uploads::sweep_before(&registry, chrono::Utc::now() + chrono::Duration::seconds(1)).await?;
    assert_eq!(removed, 1);
    assert_eq!(stack.http.get(&session).send().await?.status(), 404);
    assert_eq!(stack.stored_files(), Vec::<std::path::PathBuf>::new());
    stack.stop().await
}
