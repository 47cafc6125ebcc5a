//! The built-in registry with real clients: skopeo pushes umoci images in OCI and Docker v2s2
//! formats and copies them back out (`dir:`) byte for byte, inspects them by tag and by digest, and
//! bencher-oci (oci-client) resolves and pulls what skopeo pushed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod registry_common;

use std::process::Command;

use anyhow::{Context, Result};
use bencher_testkit::oci::run;
use registry_common::{RegistryStack, busybox_layout, sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn skopeo_round_trips_oci_and_docker_images() -> Result<()> {
    let stack = RegistryStack::start().await?;
    let (layout, src) = busybox_layout("v1")?;
    let source_digest = layout.tag_digest("v1")?;
    let out = tempfile::tempdir()?;

    for (repo, flags) in [
        ("oci-image", vec![]),
        ("docker-image", vec!["--format", "v2s2"]),
    ] {
        stack.skopeo_push(&src, &format!("{repo}:v1"), &flags)?;
        let raw = stack.skopeo_inspect(&format!("{repo}:v1"), true)?;
        let manifest: serde_json::Value = serde_json::from_str(&raw)?;
        let pushed_digest = sha256(raw.as_bytes());
        let served = stack
            .http
            .get(stack.url(&format!("/v2/{repo}/manifests/v1")))
            .send()
            .await?;
        let content_type = served.headers()["content-type"].to_str()?.to_owned();
        if flags.is_empty() {
            // Pushed as is: the manifest bytes (and so the digest) are the source's.
            assert_eq!(pushed_digest, source_digest);
            assert_eq!(content_type, "application/vnd.oci.image.manifest.v1+json");
        } else {
            assert_eq!(
                content_type,
                "application/vnd.docker.distribution.manifest.v2+json"
            );
            assert_eq!(manifest["mediaType"], content_type.as_str());
        }
        assert_eq!(served.text().await?, raw);
        // Inspect by tag and by digest agree with the bytes served.
        let by_tag: serde_json::Value =
            serde_json::from_str(&stack.skopeo_inspect(&format!("{repo}:v1"), false)?)?;
        assert_eq!(by_tag["Digest"], pushed_digest.as_str());
        let by_digest = stack.skopeo_inspect(&format!("{repo}@{pushed_digest}"), true)?;
        assert_eq!(by_digest, raw);

        // And back out, verbatim (`dir:` keeps the manifest bytes): same manifest digest, and
        // every blob hashes to its digest.
        let dest = out.path().join(repo);
        run(Command::new("skopeo")
            .args(["copy", "--quiet", "--src-tls-verify=false"])
            .arg(format!("docker://{}/{repo}@{pushed_digest}", stack.host()))
            .arg(format!("dir:{}", dest.display())))?;
        assert_eq!(
            sha256(&std::fs::read(dest.join("manifest.json"))?),
            pushed_digest
        );
        let config = manifest["config"]["digest"].as_str().context("config")?;
        let layers = manifest["layers"].as_array().context("layers")?;
        for digest in layers
            .iter()
            .filter_map(|l| l["digest"].as_str())
            .chain([config])
        {
            let hex = digest.split_once(':').context("algorithm")?.1;
            assert_eq!(sha256(&std::fs::read(dest.join(hex))?), digest);
        }
    }
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oci_client_pulls_what_skopeo_pushed() -> Result<()> {
    let stack = RegistryStack::start().await?;
    let (layout, src) = busybox_layout("v1")?;
    stack.skopeo_push(&src, "pulled:v1", &[])?;
    let client = bencher_oci::RegistryClient::new(bencher_oci::RegistryConfig {
        insecure_registries: vec![stack.host()],
        ..Default::default()
    })?;
    let platform = bencher_oci::Platform::new("linux", "amd64");
    let reference = format!("{}/pulled:v1", stack.host());
    let resolved = client.resolve(&reference, &platform).await?;
    assert_eq!(resolved.digest.to_string(), layout.tag_digest("v1")?);
    let cache = tempfile::tempdir()?;
    let pulled = client
        .pull_to_cache(&resolved.pinned(), cache.path())
        .await?;
    assert_eq!(pulled.digest.to_string(), layout.tag_digest("v1")?);
    assert!(!pulled.layers.is_empty());
    stack.stop().await
}
