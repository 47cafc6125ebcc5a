//! Proves `bencher run --image` end to end with every part real: the CLI binary submits to
//! intake, the resolver pins the digest in a real registry, the scheduler dispatches, a runner
//! pulls by digest and runs the image with runc, the processor stores the metrics, the notifier
//! projects the status — and the CLI shows the status changes and log lines live, then the
//! report. Failures (missing image or tag, non-zero exit, bad output, timeout, cancel, a dead
//! runner) end the job with a reason the user sees and a non-zero exit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use bencher_integration::{Sandbox, SandboxOptions, bencher, runner_process};
use serde_json::Value;

const BMF_SCRIPT: &str = r#"echo "running the benchmark" >&2; echo '{"fib 20": {"latency": {"value": 1520.5, "lower_value": 1490, "upper_value": 1561}}, "sort/µs": {"latency": {"value": 42}}}'"#;

fn run_args<'a>(project: &'a str, image: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--project",
        project,
        "--branch",
        "main",
        "--testbed",
        "localhost",
        "--adapter",
        "json",
        "--image",
        image,
    ]
}

async fn output(mut command: std::process::Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a `--detach` submission; its stdout is the job id.
async fn detached_job(cli: std::process::Command) -> String {
    let out = output(cli).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let job = text(&out.stdout).trim().to_owned();
    assert_eq!(job.len(), 36, "job id on stdout: {job:?}");
    job
}

/// The job's status as `bencher job view --format json` shows it.
async fn job_status(sandbox: &Sandbox, project: &str, job: &str) -> String {
    let mut view = bencher!(sandbox);
    view.args(["job", "view", "--format", "json", "--project", project, job]);
    let out = output(view).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["status"].as_str().unwrap().to_owned()
}

/// Waits until the job has `status`, for at most `within`.
async fn wait_status(sandbox: &Sandbox, project: &str, job: &str, status: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let now = job_status(sandbox, project, job).await;
        if now == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "job {job} is {now}, not {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (benchmark, measure) → value, from a report's first iteration.
fn metrics(report: &Value) -> Vec<(String, String, f64)> {
    let mut found = Vec::new();
    for result in report["results"][0].as_array().into_iter().flatten() {
        let benchmark = result["benchmark"]["name"].as_str().unwrap().to_owned();
        for m in result["measures"].as_array().unwrap() {
            let measure = m["measure"]["slug"].as_str().unwrap().to_owned();
            found.push((
                benchmark.clone(),
                measure,
                m["metric"]["value"].as_f64().unwrap(),
            ));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn a_benchmark_image_runs_and_its_metrics_are_stored() {
    let sandbox = Sandbox::start().await.unwrap();
    let image = sandbox
        .push_script_image("bench:v1", BMF_SCRIPT)
        .await
        .unwrap();

    let mut cli = bencher!(sandbox);
    cli.args(run_args("demo", &image))
        .args(["--format", "json"]);
    let started = Instant::now();
    let out = output(cli).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    println!("took {:?}\n--- stderr\n{stderr}", started.elapsed());
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );

    // Live progress on stderr: status changes in lifecycle order, then the runner's log line.
    let position = |needle: &str| {
        stderr
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not shown:\n{stderr}"))
    };
    assert!(position("running") < position("completed") || stderr.contains("processed"));
    assert!(
        stderr.contains("running the benchmark"),
        "log line: {stderr}"
    );

    let report: Value = serde_json::from_str(&stdout).expect("report JSON on stdout");
    assert!(stderr.contains("Job status: processed"), "{stderr}");
    // The CLI stops at the notifier's `processed`; the job row (the scheduler's) follows it
    // within moments, so the report's copy may still say `completed`.
    let job = report["job"]["uuid"].as_str().unwrap().parse().unwrap();
    sandbox
        .wait_job_status(job, "processed", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        metrics(&report),
        vec![
            ("fib 20".to_owned(), "latency".to_owned(), 1520.5),
            ("sort/µs".to_owned(), "latency".to_owned(), 42.0),
        ]
    );
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_images_and_tags_fail_with_a_reason() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox
        .push_script_image("exists:v1", BMF_SCRIPT)
        .await
        .unwrap();
    let host = sandbox.registry.host();
    for (image, why) in [
        (format!("{host}/nope:v1"), "repository"),
        (format!("{host}/exists:v2"), "tag"),
    ] {
        let mut cli = bencher!(sandbox);
        cli.args(run_args("missing", &image));
        let out = output(cli).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{why}: {stderr}");
        assert!(stderr.contains("failed"), "{why}: {stderr}");
        assert!(
            stderr.to_lowercase().contains("not found") || stderr.contains("unknown"),
            "{why}: the reason is shown: {stderr}"
        );
    }
    // A registry outside the allow-list is refused, not probed.
    let mut cli = bencher!(sandbox);
    cli.args(run_args("missing", "127.0.0.1:1/probe:v1"));
    let out = output(cli).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not allowed"), "{stderr}");
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_exits_bad_output_and_huge_output() {
    let sandbox = Sandbox::start().await.unwrap();

    // Non-zero exit: the job fails and the CLI exits 1.
    let image = sandbox
        .push_script_image("exit3:v1", "echo boom >&2; exit 3")
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("exits", &image));
    let out = output(cli).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains('3'), "exit code shown: {stderr}");

    // Output the adapter cannot parse: failed with the parser's message, output kept.
    let image = sandbox
        .push_script_image("garbage:v1", "echo 'this is not json'")
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("exits", &image));
    let out = output(cli).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("failed"), "{stderr}");

    // 3 MiB of stdout before the BMF: more than one NATS message, still processed.
    let big =
        format!("dd if=/dev/zero bs=1024 count=3072 2>/dev/null | tr '\\0' 'x' >&2; {BMF_SCRIPT}");
    let image = sandbox.push_script_image("big:v1", &big).await.unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("exits", &image))
        .args(["--format", "json"]);
    let out = output(cli).await;
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        text(&out.stderr)
            .chars()
            .rev()
            .take(2000)
            .collect::<String>()
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(metrics(&report).len(), 2);
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn timeouts_and_cancels_end_the_job() {
    let sandbox = Sandbox::start().await.unwrap();
    let image = sandbox
        .push_script_image("sleepy:v1", "echo started; sleep 3600")
        .await
        .unwrap();

    // A benchmark that never ends is killed at its timeout.
    let mut cli = bencher!(sandbox);
    cli.args(run_args("sleepy", &image))
        .args(["--job-timeout", "2"]);
    let started = Instant::now();
    let out = output(cli).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("canceled"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );

    // Cancel from the CLI while it runs.
    let mut cli = bencher!(sandbox);
    cli.args(run_args("sleepy", &image)).arg("--detach");
    let job = detached_job(cli).await;
    // Follow its logs until the container has started, then cancel it.
    let mut logs = bencher!(sandbox);
    logs.args(["job", "logs", "--project", "sleepy", &job])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut follower = logs.spawn().unwrap();
    let follower_out = follower.stdout.take().unwrap();
    let saw_started = tokio::task::spawn_blocking(move || {
        BufReader::new(follower_out)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("started"))
    });
    wait_status(&sandbox, "sleepy", &job, "running", Duration::from_secs(60)).await;
    let mut cancel = bencher!(sandbox);
    cancel.args(["job", "cancel", "--project", "sleepy", &job]);
    let out = output(cancel).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    wait_status(
        &sandbox,
        "sleepy",
        &job,
        "canceled",
        Duration::from_secs(30),
    )
    .await;
    let _ = follower.kill();
    let _ = follower.wait();
    assert!(
        saw_started.await.unwrap(),
        "live log line seen before cancel"
    );
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_runner_fails_its_job_within_the_heartbeat_limit() {
    let mut sandbox = Sandbox::start_with(SandboxOptions {
        heartbeat_timeout_secs: 3,
        runners: 0,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    runner_process!(sandbox).unwrap();
    let image = sandbox
        .push_script_image("hang:v1", "echo started; sleep 3600")
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("lost", &image)).arg("--detach");
    let job = detached_job(cli).await;

    wait_status(&sandbox, "lost", &job, "running", Duration::from_secs(60)).await;
    sandbox.kill_runner();
    let killed = Instant::now();
    wait_status(&sandbox, "lost", &job, "failed", Duration::from_secs(15)).await;
    println!("failed {:?} after the runner died", killed.elapsed());
    // Nothing else is stuck: the runner restarted on the same machine removes the orphaned
    // container, takes the next job and completes it.
    runner_process!(sandbox).unwrap();
    let image = sandbox
        .push_script_image("after:v1", BMF_SCRIPT)
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("lost", &image));
    let out = output(cli).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    sandbox.stop().await.unwrap();
}
