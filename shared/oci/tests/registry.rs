//! Proves resolve and pull against a real registry (Debian's docker-registry, CNCF
//! Distribution 2.8.2) with images built by umoci and pushed by skopeo: tags resolve to the
//! digest skopeo reports, multi-platform indexes resolve per architecture, missing tags,
//! repositories and registries give typed errors, and a pulled image unpacks to the right
//! files (whiteouts and opaque directories included), from the cache once pulled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bencher_testkit::oci as support;

use std::os::unix::fs::PermissionsExt;

use anyhow::Result;
use bencher_oci::{
    Digest, OciError, Platform, RegistryClient, RegistryConfig, UnpackLimits, unpack_layers,
};
use support::{Layout, Registry, busybox_image, client, skopeo_digest};

#[tokio::test]
async fn a_tag_resolves_to_the_digest_skopeo_reports() -> Result<()> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    busybox_image(&layout, "v1")?;
    layout.push("v1", &registry, "team/app:v1")?;

    let resolved = client(&registry)?
        .resolve(
            &format!("{}/team/app:v1", registry.host()),
            &Platform::default(),
        )
        .await?;
    assert_eq!(
        resolved.digest.to_string(),
        skopeo_digest(&registry, "team/app:v1", false)?
    );
    assert_eq!(resolved.index_digest, None);
    assert_eq!(
        resolved.pinned(),
        format!("{}/team/app@{}", registry.host(), resolved.digest)
    );
    assert!(
        resolved.size > 1_000_000,
        "busybox layer size {}",
        resolved.size
    );

    // The pinned reference resolves to itself.
    let again = client(&registry)?
        .resolve(&resolved.pinned(), &Platform::default())
        .await?;
    assert_eq!(again, resolved);
    Ok(())
}

#[tokio::test]
async fn missing_tags_repositories_and_registries_are_typed_errors() -> Result<()> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    busybox_image(&layout, "v1")?;
    layout.push("v1", &registry, "team/app:v1")?;
    let client = client(&registry)?;
    let host = registry.host();

    let err = client
        .resolve(&format!("{host}/team/app:nope"), &Platform::default())
        .await;
    assert!(
        matches!(err, Err(OciError::ManifestNotFound { .. })),
        "{err:?}"
    );
    let err = client
        .resolve(&format!("{host}/team/other:v1"), &Platform::default())
        .await;
    assert!(
        matches!(err, Err(OciError::RepositoryNotFound { .. })),
        "{err:?}"
    );
    let err = client
        .resolve("not a reference!", &Platform::default())
        .await;
    assert!(
        matches!(err, Err(OciError::InvalidReference { .. })),
        "{err:?}"
    );
    let err = client
        .pull_to_cache(&format!("{host}/team/app:v1"), tempfile::tempdir()?.path())
        .await;
    assert!(matches!(err, Err(OciError::NotPinned(_))), "{err:?}");

    drop(registry);
    let err = client
        .resolve(&format!("{host}/team/app:v1"), &Platform::default())
        .await
        .expect_err("registry is gone");
    assert!(
        matches!(err, OciError::RegistryUnreachable { .. }),
        "{err:?}"
    );
    assert!(err.is_transient());
    Ok(())
}

#[tokio::test]
async fn a_pulled_image_unpacks_to_its_files_and_is_served_from_the_cache() -> Result<()> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    busybox_image(&layout, "v1")?;
    layout.push("v1", &registry, "team/app:v1")?;
    let client = client(&registry)?;
    let resolved = client
        .resolve(
            &format!("{}/team/app:v1", registry.host()),
            &Platform::default(),
        )
        .await?;
    let cache = tempfile::tempdir()?;
    let pulled = client
        .pull_to_cache(&resolved.pinned(), cache.path())
        .await?;
    assert_eq!(pulled.digest, resolved.digest);
    assert_eq!(pulled.layers.len(), 1);
    let layer = &pulled.layers[0];
    assert_eq!(Digest::of(&std::fs::read(&layer.path)?), layer.digest);
    assert_eq!(
        layer.path,
        cache.path().join("blobs/sha256").join(layer.digest.hex())
    );
    let config = pulled.config.config().clone().expect("config");
    assert!(
        config
            .env()
            .clone()
            .unwrap_or_default()
            .contains(&"GREETING=image".to_owned())
    );

    let rootfs = cache.path().join("rootfs");
    unpack_layers(&pulled.layers, &rootfs, &UnpackLimits::default())?;
    assert_eq!(
        std::fs::read(rootfs.join("bin/busybox"))?,
        std::fs::read("/bin/busybox")?
    );
    assert_eq!(
        std::fs::read_link(rootfs.join("bin/sh"))?.to_str(),
        Some("busybox")
    );
    assert_eq!(
        std::fs::metadata(rootfs.join("tmp"))?.permissions().mode() & 0o7777,
        0o1777
    );

    // With the registry gone, a second pull is answered from the cache alone.
    drop(registry);
    let again = client
        .pull_to_cache(&resolved.pinned(), cache.path())
        .await?;
    assert_eq!(again.layers, pulled.layers);
    Ok(())
}

#[tokio::test]
async fn whiteouts_and_opaque_directories_from_umoci_apply() -> Result<()> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    let base = tempfile::tempdir()?;
    for path in ["data/keep", "data/gone", "opt/old/a", "opt/old/sub/b"] {
        let file = base.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent"))?;
        std::fs::write(file, path)?;
    }
    let replacement = tempfile::tempdir()?;
    std::fs::write(replacement.path().join("c"), "new")?;
    layout.new_image("v1")?;
    layout.insert("v1", base.path(), "/", false)?;
    layout.whiteout("v1", "/data/gone")?;
    layout.insert("v1", replacement.path(), "/opt/old", true)?;
    layout.push("v1", &registry, "team/layers:v1")?;

    let client = client(&registry)?;
    let resolved = client
        .resolve(
            &format!("{}/team/layers:v1", registry.host()),
            &Platform::default(),
        )
        .await?;
    let cache = tempfile::tempdir()?;
    let pulled = client
        .pull_to_cache(&resolved.pinned(), cache.path())
        .await?;
    assert_eq!(pulled.layers.len(), 3);
    let rootfs = cache.path().join("rootfs");
    let stats = unpack_layers(&pulled.layers, &rootfs, &UnpackLimits::default())?;
    assert!(stats.whiteouts >= 2, "{stats:?}");
    assert!(rootfs.join("data/keep").is_file());
    assert!(!rootfs.join("data/gone").exists());
    let mut names: Vec<_> = std::fs::read_dir(rootfs.join("opt/old"))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    names.sort();
    assert_eq!(names, ["c"]);
    Ok(())
}

#[tokio::test]
async fn a_multi_platform_index_resolves_per_architecture() -> Result<()> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    busybox_image(&layout, "amd")?;
    busybox_image(&layout, "arm")?;
    layout.config("arm", &["--architecture=arm64"])?;
    support::make_index(&layout, "multi", &[("amd", "amd64"), ("arm", "arm64")])?;
    layout.push_with(
        "multi",
        &registry,
        "team/multi:v1",
        &["--multi-arch", "all"],
    )?;
    let reference = format!("{}/team/multi:v1", registry.host());

    let client = client(&registry)?;
    let index_digest = skopeo_digest(&registry, "team/multi:v1", true)?;
    for arch in ["amd64", "arm64"] {
        let resolved = client
            .resolve(&reference, &Platform::new("linux", arch))
            .await?;
        assert_eq!(
            resolved.index_digest.as_ref().map(|d| d.to_string()),
            Some(index_digest.clone())
        );
        let tag = if arch == "amd64" { "amd" } else { "arm" };
        assert_eq!(
            resolved.digest.to_string(),
            layout.tag_digest(tag)?,
            "{arch}"
        );
        let pinned = client
            .resolve(&resolved.pinned(), &Platform::default())
            .await?;
        assert_eq!(pinned.digest, resolved.digest);
    }
    let err = client
        .resolve(&reference, &Platform::new("linux", "s390x"))
        .await;
    match err {
        Err(OciError::NoManifestForPlatform { available, .. }) => {
            assert_eq!(available, "linux/amd64, linux/arm64");
        }
        other => panic!("expected NoManifestForPlatform, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn https_is_used_for_registries_not_listed_as_insecure() -> Result<()> {
    let registry = Registry::start()?;
    let layout = Layout::new()?;
    busybox_image(&layout, "v1")?;
    layout.push("v1", &registry, "team/app:v1")?;
    let strict = RegistryClient::new(RegistryConfig::default())?;
    let err = strict
        .resolve(
            &format!("{}/team/app:v1", registry.host()),
            &Platform::default(),
        )
        .await
        .expect_err("plain-HTTP registry over HTTPS");
    assert!(err.is_transient(), "{err:?}");
    Ok(())
}
