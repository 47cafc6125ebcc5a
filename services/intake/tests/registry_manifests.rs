//! The distribution-spec conformance checks for manifests, tags and referrers, ported to Rust
//! against the built-in registry: push by tag and by digest, bytes served verbatim with their
//! media type and digest headers, `Accept` negotiation, references that must exist, digest
//! mismatches, deletes, tags pagination over 250 tags with `Link`, and the referrers API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod registry_common;

on_both_backends!(
    manifests_by_tag_and_digest,
    tags_paginate_in_lexical_order,
    referrers_list_manifests_with_a_subject
);

use anyhow::Result;
use bencher_testkit::db::Backend;
use registry_common::{OCI_INDEX, OCI_MANIFEST, RegistryStack, error_code, sha256};

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn manifests_by_tag_and_digest(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |_| {}).await?;
    let manifest = stack.image_manifest("app", "one").await?;
    let bytes = serde_json::to_vec(&manifest)?;
    let digest = sha256(&bytes);
    let put = stack
        .put_manifest("app", "v1", OCI_MANIFEST, &manifest)
        .await?;
    assert_eq!(put.status(), 201);
    assert_eq!(header(&put, "docker-content-digest"), digest);
    assert_eq!(
        header(&put, "location"),
        format!("/v2/app/manifests/{digest}")
    );

    for reference in ["v1", digest.as_str()] {
        let url = stack.url(&format!("/v2/app/manifests/{reference}"));
        let head = stack.http.head(&url).send().await?;
        assert_eq!(head.status(), 200);
        assert_eq!(header(&head, "content-type"), OCI_MANIFEST);
        assert_eq!(header(&head, "docker-content-digest"), digest);
        assert_eq!(header(&head, "content-length"), bytes.len().to_string());
        let get = stack
            .http
            .get(&url)
            .header("accept", OCI_MANIFEST)
            .send()
            .await?;
        assert_eq!(get.bytes().await?.as_ref(), bytes.as_slice());
    }
    // A client accepting only Docker manifests is not handed an OCI one.
    let refused = stack
        .http
        .get(stack.url("/v2/app/manifests/v1"))
        .header(
            "accept",
            "application/vnd.docker.distribution.manifest.v2+json",
        )
        .send()
        .await?;
    assert_eq!(refused.status(), 404);
    assert_eq!(error_code(refused).await?, "MANIFEST_UNKNOWN");

    // By digest: the digest must match the body.
    let by_digest = stack
        .put_manifest("app", &digest, OCI_MANIFEST, &manifest)
        .await?;
    assert_eq!(by_digest.status(), 201);
    let wrong = sha256(b"another body");
    let mismatch = stack
        .put_manifest("app", &wrong, OCI_MANIFEST, &manifest)
        .await?;
    assert_eq!(mismatch.status(), 400);
    assert_eq!(error_code(mismatch).await?, "DIGEST_INVALID");
    // Content-Type and mediaType must agree; unknown types and bad JSON are refused.
    let docker = "application/vnd.docker.distribution.manifest.v2+json";
    let disagree = stack.put_manifest("app", "v2", docker, &manifest).await?;
    assert_eq!(error_code(disagree).await?, "MANIFEST_INVALID");
    let garbage = stack
        .http
        .put(stack.url("/v2/app/manifests/v2"))
        .header("content-type", OCI_MANIFEST)
        .body("{not json")
        .send()
        .await?;
    assert_eq!(garbage.status(), 400);
    assert_eq!(error_code(garbage).await?, "MANIFEST_INVALID");
    let bad_tag = stack
        .put_manifest("app", "-bad", OCI_MANIFEST, &manifest)
        .await?;
    assert_eq!(bad_tag.status(), 400);

    // Missing references: a layer, and an index child.
    let mut missing_layer = manifest.clone();
    missing_layer["layers"][0]["digest"] = sha256(b"never pushed").into();
    let refused = stack
        .put_manifest("app", "broken", OCI_MANIFEST, &missing_layer)
        .await?;
    assert_eq!(refused.status(), 400);
    assert_eq!(error_code(refused).await?, "MANIFEST_BLOB_UNKNOWN");
    let index = |child: &str| {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{ "mediaType": OCI_MANIFEST, "digest": child, "size": 10,
                "platform": { "architecture": "amd64", "os": "linux" } }],
        })
    };
    let orphan = stack
        .put_manifest("app", "multi", OCI_INDEX, &index(&sha256(b"no manifest")))
        .await?;
    assert_eq!(error_code(orphan).await?, "MANIFEST_BLOB_UNKNOWN");
    let good = stack
        .put_manifest("app", "multi", OCI_INDEX, &index(&digest))
        .await?;
    assert_eq!(good.status(), 201);
    // The blobs of another repository do not count.
    let elsewhere = stack
        .put_manifest("other", "v1", OCI_MANIFEST, &manifest)
        .await?;
    assert_eq!(error_code(elsewhere).await?, "MANIFEST_BLOB_UNKNOWN");

    // Delete by tag removes the tag; by digest the manifest (and its tags).
    assert_eq!(
        stack
            .http
            .delete(stack.url("/v2/app/manifests/multi"))
            .send()
            .await?
            .status(),
        202
    );
    let gone = stack
        .http
        .get(stack.url("/v2/app/manifests/multi"))
        .send()
        .await?;
    assert_eq!(error_code(gone).await?, "MANIFEST_UNKNOWN");
    let by_digest = stack.url(&format!("/v2/app/manifests/{digest}"));
    assert_eq!(stack.http.delete(&by_digest).send().await?.status(), 202);
    assert_eq!(stack.http.get(&by_digest).send().await?.status(), 404);
    assert_eq!(
        stack
            .http
            .get(stack.url("/v2/app/manifests/v1"))
            .send()
            .await?
            .status(),
        404
    );
    assert_eq!(stack.http.delete(&by_digest).send().await?.status(), 404);
    let no_repo = stack
        .http
        .get(stack.url("/v2/nobody/manifests/v1"))
        .send()
        .await?;
    assert_eq!(error_code(no_repo).await?, "NAME_UNKNOWN");
    stack.stop().await
}

async fn tags_paginate_in_lexical_order(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |_| {}).await?;
    let manifest = stack.image_manifest("many", "tags").await?;
    let mut expected: Vec<String> = (0..260).map(|i| format!("t{i}")).collect();
    expected.push("A-upper".to_owned());
    expected.push("a_lower".to_owned());
    for tag in &expected {
        let put = stack
            .put_manifest("many", tag, OCI_MANIFEST, &manifest)
            .await?;
        assert_eq!(put.status(), 201, "{tag}");
    }
    expected.sort();
    let all: serde_json::Value = stack
        .http
        .get(stack.url("/v2/many/tags/list"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(all["name"], "many");
    assert_eq!(all["tags"], serde_json::json!(expected));

    let mut seen = Vec::new();
    let mut next = Some("/v2/many/tags/list?n=100".to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let page = stack.http.get(stack.url(&path)).send().await?;
        assert_eq!(page.status(), 200);
        let link = header(&page, "link");
        let body: serde_json::Value = page.json().await?;
        let tags: Vec<String> = serde_json::from_value(body["tags"].clone())?;
        assert!(tags.len() <= 100);
        seen.extend(tags);
        pages += 1;
        if !link.is_empty() {
            assert!(link.ends_with(">; rel=\"next\""), "{link}");
            next = Some(link[1..link.find('>').unwrap_or(1)].to_owned());
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);
    // `last` alone, and n=0.
    let after: serde_json::Value = stack
        .http
        .get(stack.url("/v2/many/tags/list?last=t98"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(after["tags"][0], "t99");
    let none: serde_json::Value = stack
        .http
        .get(stack.url("/v2/many/tags/list?n=0"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(none["tags"], serde_json::json!([]));
    stack.stop().await
}

async fn referrers_list_manifests_with_a_subject(backend: Backend) -> Result<()> {
    let stack = RegistryStack::start_with(backend, |_| {}).await?;
    let subject = stack.image_manifest("signed", "subject").await?;
    let subject_bytes = serde_json::to_vec(&subject)?;
    let subject_digest = sha256(&subject_bytes);
    stack
        .put_manifest("signed", "v1", OCI_MANIFEST, &subject)
        .await?;

    let empty = stack.push_blob("signed", b"{}").await?;
    let mut pushed = Vec::new();
    for kind in [
        "application/vnd.example.sbom",
        "application/vnd.example.signature",
    ] {
        let artifact = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": kind,
            "config": { "mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2 },
            "layers": [{ "mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2 }],
            "subject": { "mediaType": OCI_MANIFEST, "digest": subject_digest, "size": subject_bytes.len() },
            "annotations": { "org.example.kind": kind },
        });
        let digest = sha256(&serde_json::to_vec(&artifact)?);
        let put = stack
            .put_manifest("signed", &digest, OCI_MANIFEST, &artifact)
            .await?;
        assert_eq!(put.status(), 201);
        assert_eq!(header(&put, "oci-subject"), subject_digest);
        pushed.push((kind, digest));
    }
    let url = stack.url(&format!("/v2/signed/referrers/{subject_digest}"));
    let all = stack.http.get(&url).send().await?;
    assert_eq!(all.status(), 200);
    assert_eq!(header(&all, "content-type"), OCI_INDEX);
    let body: serde_json::Value = all.json().await?;
    assert_eq!(body["mediaType"], OCI_INDEX);
    let manifests = body["manifests"].as_array().cloned().unwrap_or_default();
    assert_eq!(manifests.len(), 2);
    for (descriptor, (kind, digest)) in manifests.iter().zip(&pushed) {
        assert_eq!(descriptor["digest"], digest.as_str());
        assert_eq!(descriptor["artifactType"], *kind);
        assert_eq!(descriptor["annotations"]["org.example.kind"], *kind);
    }
    let filtered = stack
        .http
        .get(format!("{url}?artifactType=application/vnd.example.sbom"))
        .send()
        .await?;
    assert_eq!(header(&filtered, "oci-filters-applied"), "artifactType");
    let body: serde_json::Value = filtered.json().await?;
    assert_eq!(body["manifests"].as_array().map(Vec::len), Some(1));
    // No referrers: an empty index; an invalid digest: 400.
    let none: serde_json::Value = stack
        .http
        .get(stack.url(&format!("/v2/signed/referrers/{}", sha256(b"x"))))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(none["manifests"], serde_json::json!([]));
    let bad = stack
        .http
        .get(stack.url("/v2/signed/referrers/sha256:nope"))
        .send()
        .await?;
    assert_eq!(bad.status(), 400);
    stack.stop().await
}
