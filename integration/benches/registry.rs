//! The built-in registry against CNCF Distribution (Debian's `docker-registry`), side by side
//! (`cargo bench -p bencher-integration --bench registry`; env `BENCHER_BENCH_LAYER_MIB`,
//! default 200).
//!
//! Builds a single-layer OCI image whose layer is an uncompressed tar of incompressible bytes,
//! then for each registry on 127.0.0.1: `skopeo copy` into it (push) and out of it to a fresh
//! `dir:` (pull), timed by wall clock. Prints both times, the ratio, and the peak RSS of this
//! process, which hosts bencherd's intake and registry in-process (the peak is reset right
//! before the push, so it is the push's peak).

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bencher_runtime::{Config, Shutdown};
use bencher_testkit::nats::NatsServer;
use bencher_testkit::oci::{Registry, run};
use bencherd::parser::ServiceName;
use bencherd::stack::{Stack, selected_services};

/// `sha256sum` of a file, as `sha256:<hex>`.
fn sha256_file(path: &Path) -> Result<String> {
    let out = run(Command::new("sha256sum").arg(path))?;
    let hex = out.split_whitespace().next().context("sha256sum output")?;
    Ok(format!("sha256:{hex}"))
}

/// Moves `file` into the layout's blobs as its digest; (digest, size).
fn add_blob(layout: &Path, file: &Path) -> Result<(String, u64)> {
    let digest = sha256_file(file)?;
    let size = std::fs::metadata(file)?.len();
    let hex = digest.trim_start_matches("sha256:");
    std::fs::rename(file, layout.join("blobs/sha256").join(hex))?;
    Ok((digest, size))
}

/// An OCI layout at `dir/oci` with tag `big`: one uncompressed layer of `mib` random MiB.
fn build_image(dir: &Path, mib: u64) -> Result<String> {
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(&rootfs)?;
    run(Command::new("head")
        .args(["-c", &format!("{mib}M"), "/dev/urandom"])
        .stdout(std::fs::File::create(rootfs.join("payload.bin"))?))?;
    let layout = dir.join("oci");
    std::fs::create_dir_all(layout.join("blobs/sha256"))?;
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    let layer = dir.join("layer.tar");
    run(Command::new("tar")
        .args([
            "--sort=name",
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
        ])
        .arg("-cf")
        .arg(&layer)
        .arg("-C")
        .arg(&rootfs)
        .arg("."))?;
    let diff_id = sha256_file(&layer)?;
    let (layer_digest, layer_size) = add_blob(&layout, &layer)?;
    let config = dir.join("config.json");
    std::fs::write(
        &config,
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": { "Cmd": ["/payload.bin"] },
            "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        }))?,
    )?;
    let (config_digest, config_size) = add_blob(&layout, &config)?;
    let manifest = dir.join("manifest.json");
    std::fs::write(
        &manifest,
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": { "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest, "size": config_size },
            "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": layer_digest, "size": layer_size }],
        }))?,
    )?;
    let (manifest_digest, manifest_size) = add_blob(&layout, &manifest)?;
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{ "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest, "size": manifest_size,
                "annotations": { "org.opencontainers.image.ref.name": "big" } }],
        }))?,
    )?;
    Ok(format!("oci:{}:big", layout.display()))
}

fn skopeo_copy(src: &str, dest: &str) -> Result<Duration> {
    let started = Instant::now();
    run(Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .arg(src)
        .arg(dest))?;
    Ok(started.elapsed())
}

/// Resets this process's peak RSS (Linux `clear_refs` 5).
fn reset_peak_rss() -> Result<()> {
    std::fs::write("/proc/self/clear_refs", "5")?;
    Ok(())
}

/// This process's peak RSS in KiB (`VmHWM`).
fn peak_rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("VmHWM")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmHWM value")?
        .parse()?)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
    let mib: u64 = std::env::var("BENCHER_BENCH_LAYER_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let work = tempfile::tempdir()?;
    let dir = work.path().to_owned();
    let src = tokio::task::spawn_blocking(move || build_image(&dir, mib)).await??;

    let distribution = tokio::task::spawn_blocking(Registry::start).await??;
    let nats = NatsServer::start().await?;
    let data = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: data.path().to_owned(),
        ..Config::default()
    };
    config.nats.urls = vec![nats.url()];
    config.http.listen = "127.0.0.1:0".parse()?;
    let shutdown = Shutdown::new();
    let stack = Stack::start(
        Arc::new(config),
        selected_services(&[ServiceName::Intake]),
        shutdown.clone(),
    )
    .await?;
    let ours = stack.local_addr.to_string();
    let stack_shutdown = shutdown.clone();
    let stack = tokio::spawn(async move { stack.wait(stack_shutdown).await });

    println!("single-layer image, {mib} MiB uncompressed layer, skopeo on 127.0.0.1");
    println!("{:<26} {:>10} {:>10}", "registry", "push (s)", "pull (s)");
    let mut rows = Vec::new();
    for (name, host) in [
        ("built-in (bencherd)", ours.clone()),
        ("Distribution 2.8", distribution.host()),
    ] {
        let (src, out) = (src.clone(), tempfile::tempdir()?);
        let dest = format!("docker://{host}/bench:v1");
        let is_ours = host == ours;
        let (push, pull, peak) = tokio::task::spawn_blocking(move || -> Result<_> {
            if is_ours {
                reset_peak_rss()?;
            }
            let push = skopeo_copy(&src, &dest)?;
            let peak = peak_rss_kib()?;
            let pull = skopeo_copy(&dest, &format!("dir:{}", out.path().join("img").display()))?;
            Ok((push, pull, peak))
        })
        .await??;
        println!(
            "{name:<26} {:>10.2} {:>10.2}",
            push.as_secs_f64(),
            pull.as_secs_f64()
        );
        rows.push((push, pull, peak));
    }
    let (ours_row, theirs_row) = (rows[0], rows[1]);
    println!(
        "ratio built-in / Distribution: push {:.2}, pull {:.2} (below 1 is faster)",
        ours_row.0.as_secs_f64() / theirs_row.0.as_secs_f64(),
        ours_row.1.as_secs_f64() / theirs_row.1.as_secs_f64(),
    );
    println!(
        "peak RSS of the bencherd process during the push: {:.1} MiB (layer {mib} MiB)",
        ours_row.2 as f64 / 1024.0
    );
    shutdown.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(20), stack).await;
    Ok(())
}
