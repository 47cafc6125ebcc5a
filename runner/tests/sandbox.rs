//! Proves the sandbox with real runc (as root): output is captured and streamed line by line,
//! exit codes propagate, timeouts and cancels kill, image and job settings merge like Docker,
//! the network is only `lo` unless allowed, the root is read-only while `/tmp` and the work dir
//! are writable, output caps truncate, the memory limit OOM-kills with 137, and an image pushed
//! to a real registry runs after resolve, pull and unpack.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bencher_testkit::oci as support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bencher_oci::{ImageConfiguration, Platform, UnpackLimits};
use bencher_runner::sandbox::{
    self, ContainerLimits, ContainerOutcome, JobOverrides, LogLine, SandboxConfig, Stream,
    prepare_bundle, run_container,
};
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

struct Fixture {
    _dir: TempDir,
    config: SandboxConfig,
    rootfs: PathBuf,
    image: ImageConfiguration,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("image-rootfs");
    support::busybox_rootfs(&rootfs).unwrap();
    let image = serde_json::from_value(serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []},
        "config": {
            "Entrypoint": ["/bin/sh", "-c"],
            "Cmd": ["echo image cmd"],
            "Env": ["PATH=/bin", "GREETING=image"],
            "WorkingDir": "/srv/app",
        },
    }))
    .unwrap();
    let config = SandboxConfig {
        work_dir: dir.path().join("work"),
        cgroup_parent: "bencher-test".to_owned(),
        ..SandboxConfig::default()
    };
    Fixture {
        _dir: dir,
        config,
        rootfs,
        image,
    }
}

fn sh(script: &str) -> JobOverrides {
    JobOverrides {
        entrypoint: Some(vec!["/bin/sh".into(), "-c".into(), script.into()]),
        ..JobOverrides::default()
    }
}

async fn run(f: &Fixture, job: &JobOverrides, limits: &ContainerLimits) -> ContainerOutcome {
    let bundle = prepare_bundle(&f.config, &f.image, &f.rootfs, job, limits).unwrap();
    let out = run_container(
        &f.config,
        &bundle,
        Duration::from_secs(20),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    bundle.remove().unwrap();
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn output_is_captured_and_streamed_line_by_line() {
    let f = fixture();
    let bundle = prepare_bundle(
        &f.config,
        &f.image,
        &f.rootfs,
        &sh("echo one; echo two >&2; sleep 0.3; echo three"),
        &ContainerLimits::default(),
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel::<LogLine>(64);
    let start = Instant::now();
    let handle = tokio::spawn({
        let (config, bundle) = (f.config.clone(), bundle.clone());
        async move {
            run_container(
                &config,
                &bundle,
                Duration::from_secs(20),
                CancellationToken::new(),
                Some(tx),
            )
            .await
        }
    });
    let first = rx.recv().await.unwrap();
    let first_at = start.elapsed();
    let mut lines = vec![first];
    while let Some(line) = rx.recv().await {
        lines.push(line);
    }
    let out = handle.await.unwrap().unwrap();
    bundle.remove().unwrap();
    assert_eq!(out.exit_code, 0);
    assert_eq!(text(&out.stdout), "one\nthree\n");
    assert_eq!(text(&out.stderr), "two\n");
    let stdout: Vec<_> = lines
        .iter()
        .filter(|l| l.stream == Stream::Stdout)
        .map(|l| l.line.as_str())
        .collect();
    assert_eq!(stdout, ["one", "three"]);
    assert!(
        lines
            .iter()
            .any(|l| l.stream == Stream::Stderr && l.line == "two")
    );
    // The first line arrived while the container was still sleeping.
    assert!(
        first_at + Duration::from_millis(250) < out.wall_time,
        "{first_at:?} vs {:?}",
        out.wall_time
    );
    assert!(
        out.peak_memory.is_some_and(|m| m > 0),
        "{:?}",
        out.peak_memory
    );
    assert!(
        !f.config
            .work_dir
            .join("runc-state")
            .join(&bundle.id)
            .exists(),
        "container not deleted"
    );
}

#[tokio::test]
async fn exit_codes_propagate_and_image_defaults_apply() {
    let f = fixture();
    let out = run(&f, &sh("exit 3"), &ContainerLimits::default()).await;
    assert_eq!(out.exit_code, 3);
    let out = run(&f, &JobOverrides::default(), &ContainerLimits::default()).await;
    assert_eq!(
        (out.exit_code, text(&out.stdout)),
        (0, "image cmd\n".to_owned())
    );
}

#[tokio::test]
async fn env_entrypoint_and_working_dir_merge_like_docker() {
    let f = fixture();
    let mut job = JobOverrides {
        cmd: Some(vec!["echo $GREETING $NEW; pwd; id -u".into()]),
        ..JobOverrides::default()
    };
    job.env.insert("GREETING".into(), "job".into());
    job.env.insert("NEW".into(), "1".into());
    let out = run(&f, &job, &ContainerLimits::default()).await;
    assert_eq!(
        text(&out.stdout),
        "job 1\n/srv/app\n0\n",
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn timeout_and_cancel_kill_the_container() {
    let f = fixture();
    let bundle = prepare_bundle(
        &f.config,
        &f.image,
        &f.rootfs,
        &sh("sleep 30"),
        &ContainerLimits::default(),
    )
    .unwrap();
    let out = run_container(
        &f.config,
        &bundle,
        Duration::from_millis(500),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    assert!(out.timed_out && !out.canceled);
    assert_eq!(out.exit_code, 137);
    assert!(
        out.wall_time < Duration::from_secs(5),
        "{:?}",
        out.wall_time
    );

    let cancel = CancellationToken::new();
    tokio::spawn({
        let cancel = cancel.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            cancel.cancel();
        }
    });
    let out = run_container(&f.config, &bundle, Duration::from_secs(30), cancel, None)
        .await
        .unwrap();
    assert!(out.canceled && !out.timed_out);
    assert!(
        out.wall_time < Duration::from_secs(5),
        "{:?}",
        out.wall_time
    );
    bundle.remove().unwrap();
}

#[tokio::test]
async fn network_is_loopback_only_unless_allowed() {
    let f = fixture();
    let script = "ip -o link | cut -d: -f2 | tr -d ' '";
    let out = run(&f, &sh(script), &ContainerLimits::default()).await;
    assert_eq!(text(&out.stdout), "lo\n", "{}", text(&out.stderr));
    let open = ContainerLimits {
        network: true,
        ..ContainerLimits::default()
    };
    let out = run(&f, &sh(script), &open).await;
    assert!(
        text(&out.stdout).lines().count() > 1,
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test]
async fn root_is_read_only_while_tmp_and_work_are_writable() {
    let f = fixture();
    let out = run(&f, &sh("touch /bin/x"), &ContainerLimits::default()).await;
    assert_ne!(out.exit_code, 0);
    assert!(
        text(&out.stderr).contains("Read-only"),
        "{}",
        text(&out.stderr)
    );

    let bundle = prepare_bundle(
        &f.config,
        &f.image,
        &f.rootfs,
        &sh("touch /tmp/x && stat -c %a /tmp && echo result > /work/out"),
        &ContainerLimits::default(),
    )
    .unwrap();
    let out = run_container(
        &f.config,
        &bundle,
        Duration::from_secs(20),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        (out.exit_code, text(&out.stdout)),
        (0, "1777\n".to_owned()),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(bundle.work.join("out")).unwrap(),
        "result\n"
    );
    // Mount points and the working dir were made in the job's copy, not the shared rootfs.
    assert!(bundle.rootfs.join("srv/app").is_dir() && bundle.rootfs.join("proc").is_dir());
    assert!(!f.rootfs.join("srv").exists() && !f.rootfs.join("proc").exists());
    bundle.remove().unwrap();
}

#[tokio::test]
async fn output_caps_truncate_and_memory_limit_oom_kills() {
    let mut f = fixture();
    f.config.output_cap = 1000;
    let out = run(
        &f,
        &sh("i=0; while [ $i -lt 500 ]; do echo 0123456789; i=$((i+1)); done"),
        &ContainerLimits::default(),
    )
    .await;
    assert_eq!(out.stdout.len(), 1000);
    assert!(out.stdout_truncated && !out.stderr_truncated);

    let limits = ContainerLimits {
        memory_bytes: Some(32 << 20),
        cpuset: Some(ContainerLimits::cpus(0, 1)),
        ..ContainerLimits::default()
    };
    let out = run(
        &f,
        &sh("dd if=/dev/zero of=/dev/null bs=100M count=1"),
        &limits,
    )
    .await;
    assert_eq!(out.exit_code, 137, "{}", text(&out.stderr));
    let out = run(
        &f,
        &sh("dd if=/dev/zero of=/dev/null bs=8M count=1"),
        &limits,
    )
    .await;
    assert_eq!(out.exit_code, 0, "{}", text(&out.stderr));
    assert!(
        out.peak_memory
            .is_some_and(|m| (8 << 20..=32 << 20).contains(&m)),
        "{:?}",
        out.peak_memory
    );
}

#[tokio::test]
async fn a_pushed_image_runs_after_resolve_pull_and_unpack() {
    let registry = support::Registry::start().unwrap();
    let layout = support::Layout::new().unwrap();
    support::busybox_image(&layout, "v1").unwrap();
    layout.push("v1", &registry, "team/bench:v1").unwrap();
    let client = support::client(&registry).unwrap();
    let resolved = client
        .resolve(
            &format!("{}/team/bench:v1", registry.host()),
            &Platform::default(),
        )
        .await
        .unwrap();
    let f = fixture();
    let pulled = client
        .pull_to_cache(&resolved.pinned(), &f.config.work_dir.join("blobs"))
        .await
        .unwrap();
    let rootfs = sandbox::unpacked_rootfs(&f.config, &pulled, &UnpackLimits::default()).unwrap();
    let again = sandbox::unpacked_rootfs(&f.config, &pulled, &UnpackLimits::default()).unwrap();
    assert_eq!(rootfs, again);
    let mut job = JobOverrides::default();
    job.env.insert("GREETING".into(), "from job".into());
    job.cmd = Some(vec!["-c".into(), "echo $GREETING in $(pwd)".into()]);
    let bundle = prepare_bundle(
        &f.config,
        &pulled.config,
        &rootfs,
        &job,
        &ContainerLimits::default(),
    )
    .unwrap();
    let out = run_container(
        &f.config,
        &bundle,
        Duration::from_secs(20),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        text(&out.stdout),
        "from job in /tmp\n",
        "{}",
        text(&out.stderr)
    );
    bundle.remove().unwrap();
}

#[tokio::test]
async fn a_cancel_before_the_container_exists_still_kills_it() {
    let f = fixture();
    let bundle = prepare_bundle(
        &f.config,
        &f.image,
        &f.rootfs,
        &sh("sleep 30"),
        &ContainerLimits::default(),
    )
    .unwrap();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let out = tokio::time::timeout(
        Duration::from_secs(10),
        run_container(&f.config, &bundle, Duration::from_secs(30), cancel, None),
    )
    .await
    .expect("run_container returns")
    .unwrap();
    assert!(out.canceled);
    assert!(
        out.wall_time < Duration::from_secs(5),
        "{:?}",
        out.wall_time
    );
    bundle.remove().unwrap();
}

#[tokio::test]
async fn an_abandoned_run_does_not_leave_its_container_running() {
    let f = fixture();
    let bundle = prepare_bundle(
        &f.config,
        &f.image,
        &f.rootfs,
        &sh("echo up; sleep 30"),
        &ContainerLimits::default(),
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel::<LogLine>(8);
    let task = tokio::spawn({
        let (config, bundle) = (f.config.clone(), bundle.clone());
        async move {
            run_container(
                &config,
                &bundle,
                Duration::from_secs(30),
                CancellationToken::new(),
                Some(tx),
            )
            .await
        }
    });
    rx.recv().await.unwrap();
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let state = f.config.work_dir.join("runc-state");
    let left = std::process::Command::new("runc")
        .arg("--root")
        .arg(&state)
        .args(["list", "-q"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&left.stdout).trim(), "");
    let cgroup = std::path::Path::new("/sys/fs/cgroup/memory")
        .join(bundle.cgroups_path.trim_start_matches('/'));
    assert!(!cgroup.exists(), "cgroup {} left", cgroup.display());
    bundle.remove().unwrap();
}
