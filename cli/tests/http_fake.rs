//! Drives the real `bencher` binary against a small axum stand-in for intake on loopback (the
//! real intake is built elsewhere): `run --image` following the job over server-sent events when
//! NATS is unreachable, `--detach`, `--format json`, `--err`, the local flow, error bodies,
//! an unreachable server, the bearer token, and `job logs` of a finished job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bencher_wire::json::{JsonNewRun, JsonReport};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

const JOB: &str = "0191c2a4-5e6f-7a10-8b2c-3d4e5f607182";
const REPORT: &str = "0191c2a4-5e6f-7a10-8b2c-3d4e5f607101";

/// Each `POST /v0/run`: its `Authorization` header and body.
type Runs = Arc<Mutex<Vec<(Option<String>, Value)>>>;

#[derive(Clone, Default)]
struct Seen {
    runs: Runs,
    dead_nats: String,
}

fn sample_report() -> Value {
    let path = format!("{}/json_report.json", bencher_wire::SAMPLES_DIR);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

async fn post_run(State(seen): State<Seen>, headers: HeaderMap, body: String) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let run: Value = serde_json::from_str(&body).unwrap();
    // The body must be a valid JsonNewRun.
    serde_json::from_value::<JsonNewRun>(run.clone()).unwrap();
    seen.runs.lock().unwrap().push((auth, run.clone()));
    if run["project"] == "bad" {
        let error = json!({"error": "invalid project: no such project", "code": "invalid", "field": "project"});
        return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
    }
    let mut report = sample_report();
    if run.get("job").is_some() {
        report["results"] = json!([]);
        report["alerts"] = json!([]);
        report["job"]["status"] = json!("requested");
        report["job"]["watch"]["nats_urls"] = json!([seen.dead_nats]);
        report["job"]["watch"]["nats_credentials"] = Value::Null;
        if run["project"] == "hang" {
            report["job"]["watch"]["events_url"] =
                json!(format!("/v0/projects/hang/jobs/{JOB}/events"));
        }
    } else {
        report.as_object_mut().unwrap().remove("job");
    }
    (StatusCode::CREATED, axum::Json(report)).into_response()
}

fn status_event(status: &str, sequence: u64) -> String {
    let mut snapshot = json!({
        "schema": "bencher.v1", "job": JOB, "report": REPORT, "status": status,
        "sequence": sequence, "attempt": 1, "updated_at": "2025-06-01T12:00:10Z"
    });
    if status == "processed" {
        snapshot["exit_code"] = json!(0);
    }
    format!("event: status\ndata: {snapshot}\n\n")
}

fn log_event(seq: u64, line: &str) -> String {
    let log = json!({
        "schema": "bencher.v1", "job": JOB, "attempt": 1, "stream": "stdout", "seq": seq,
        "line": line, "at": "2025-06-01T12:00:01Z"
    });
    // Split over two data lines would change the JSON; use CRLF line ends instead.
    format!("event: log\r\ndata: {log}\r\n\r\n")
}

async fn events(Path((project, _)): Path<(String, String)>) -> Response {
    if project == "hang" {
        // One status, then nothing: the job never ends.
        let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(status_event(
            "running", 1,
        )))]);
        let stream = futures::StreamExt::chain(first, futures::stream::pending());
        return (
            [(header::CONTENT_TYPE, "text/event-stream")],
            Body::from_stream(stream),
        )
            .into_response();
    }
    let parts = vec![
        ": connected\n\n".to_owned(),
        status_event("requested", 1),
        status_event("pending", 2),
        status_event("requested", 1), // a repeat: must be dropped
        status_event("running", 4),
        log_event(1, "bench: warming up"),
        log_event(1, "bench: warming up"), // a repeat
        log_event(2, "bench: done"),
        status_event("claimed", 3), // late: must be dropped
        status_event("completed", 5),
        status_event("processed", 6),
    ];
    let stream = futures::stream::unfold(parts.into_iter(), |mut parts| async move {
        let part = parts.next()?;
        tokio::time::sleep(Duration::from_millis(20)).await;
        Some((Ok::<_, std::io::Error>(Bytes::from(part)), parts))
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn get_report() -> axum::Json<Value> {
    axum::Json(sample_report())
}

async fn get_job(Path((_, job)): Path<(String, String)>) -> Response {
    if job != JOB {
        let error = json!({"error": "no such job", "code": "not_found"});
        return (StatusCode::NOT_FOUND, axum::Json(error)).into_response();
    }
    axum::Json(sample_report()["job"].clone()).into_response()
}

struct Fake {
    host: String,
    seen: Seen,
}

async fn start() -> Fake {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_nats = format!("nats://{}", dead.local_addr().unwrap());
    drop(dead);
    let seen = Seen {
        dead_nats,
        ..Default::default()
    };
    let app = Router::new()
        .route("/v0/run", post(post_run))
        .route("/v0/projects/{p}/reports/{r}", get(get_report))
        .route("/v0/projects/{p}/jobs/{j}", get(get_job))
        .route("/v0/projects/{p}/jobs/{j}/events", get(events))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fake { host, seen }
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn bencher(args: &[&str]) -> Ran {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bencher"));
    for var in [
        "BENCHER_HOST",
        "BENCHER_API_KEY",
        "BENCHER_NATS_URL",
        "BENCHER_PROJECT",
    ] {
        cmd.env_remove(var);
    }
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.args(args).output())
        .await
        .expect("bencher took too long")
        .unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn image_run<'a>(host: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--host",
        host,
        "--token",
        "tok",
        "--project",
        "my-project",
        "--image",
        "127.0.0.1:6610/my-project:v1",
        "--adapter",
        "json",
    ];
    args.extend_from_slice(extra);
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_run_falls_back_to_server_sent_events_and_prints_the_report() {
    let fake = start().await;
    let ran = bencher(&image_run(&fake.host, &[])).await;
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stderr.contains("NATS is unreachable"), "{}", ran.stderr);
    let progress: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("Job status:") || l.starts_with("bench:"))
        .collect();
    assert_eq!(
        progress,
        [
            "Job status: requested",
            "Job status: pending",
            "Job status: running",
            "bench: warming up",
            "bench: done",
            "Job status: completed",
            "Job status: processed",
        ],
        "{}",
        ran.stderr
    );
    assert!(
        ran.stdout.contains("fib/20 (µs)") && ran.stdout.contains("+25.66%"),
        "{}",
        ran.stdout
    );
    let runs = fake.seen.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].0.as_deref(), Some("Bearer tok"));
    assert_eq!(runs[0].1["job"]["image"], "127.0.0.1:6610/my-project:v1");
    assert_eq!(runs[0].1["settings"]["adapter"], "json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn err_turns_alerts_into_exit_1_and_json_prints_the_report() {
    let fake = start().await;
    let ran = bencher(&image_run(
        &fake.host,
        &["--err", "--format", "json", "--no-nats"],
    ))
    .await;
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        !ran.stderr.contains("NATS is unreachable"),
        "{}",
        ran.stderr
    );
    let report: JsonReport = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(report.alerts.len(), 1);
    assert!(ran.stderr.contains("--err"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_prints_the_job_and_how_to_follow_it() {
    let fake = start().await;
    let ran = bencher(&image_run(
        &fake.host,
        &["--detach", "--", "./bench", "--fast"],
    ))
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.stdout.trim(), JOB);
    assert!(
        ran.stderr
            .contains(&format!("bencher job logs --host {}", fake.host)),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("Job status"), "{}", ran.stderr);
    let runs = fake.seen.runs.lock().unwrap().clone();
    assert_eq!(runs[0].1["job"]["cmd"], json!(["./bench", "--fast"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_and_an_unreachable_server_are_explained() {
    let fake = start().await;
    let mut args = image_run(&fake.host, &[]);
    args[6] = "bad";
    let ran = bencher(&args).await;
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr
            .contains("(400): invalid project: no such project [invalid] (field project)"),
        "{}",
        ran.stderr
    );
    let ran = bencher(&[
        "job",
        "view",
        "--host",
        &fake.host,
        "--project",
        "p",
        REPORT,
    ])
    .await;
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("no such job [not_found]"),
        "{}",
        ran.stderr
    );

    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_host = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let ran = bencher(&image_run(&dead_host, &[])).await;
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr
            .contains(&format!("cannot reach the server at {dead_host}")),
        "{}",
        ran.stderr
    );
    // Nothing is sent when a flag is invalid.
    let ran = bencher(&image_run(&fake.host, &["--threshold-measure", "latency"])).await;
    assert_eq!(ran.code, Some(1));
    assert!(ran.stderr.contains("--threshold-test"), "{}", ran.stderr);
    assert_eq!(fake.seen.runs.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_flow_submits_the_command_output() {
    let fake = start().await;
    let bmf = r#"{"fib/20":{"latency":{"value":1520.5}}}"#;
    let command = format!("printf '%s' '{bmf}'");
    let ran = bencher(&[
        "run",
        "--host",
        &fake.host,
        "--project",
        "my-project",
        "--adapter",
        "json",
        "--iter",
        "2",
        &command,
    ])
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("fib/20 (µs)"), "{}", ran.stdout);
    let runs = fake.seen.runs.lock().unwrap().clone();
    assert_eq!(runs[0].1["results"], json!([bmf, bmf]));
    assert!(runs[0].1.get("job").is_none());
    assert!(runs[0].1["start_time"].is_string());
    // A failing command is reported and nothing is sent.
    let ran = bencher(&["run", "--host", &fake.host, "exit 3"]).await;
    assert_eq!(ran.code, Some(1));
    assert!(ran.stderr.contains("exit status: 3"), "{}", ran.stderr);
    assert_eq!(fake.seen.runs.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_a_finished_job_print_its_output() {
    let fake = start().await;
    let ran = bencher(&[
        "job",
        "logs",
        "--host",
        &fake.host,
        "--project",
        "my-project",
        JOB,
    ])
    .await;
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        "{\"fib/20 (µs)\":{\"latency\":{\"value\":1520.5}}}\n"
    );
    assert!(ran.stderr.contains("warming up"), "{}", ran.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_without_a_terminal_leaves_the_job_running_and_exits_130() {
    let fake = start().await;
    let mut args = image_run(&fake.host, &["--no-nats"]);
    args[6] = "hang";
    let mut child = Command::new(env!("CARGO_BIN_EXE_bencher"))
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let wait_running = async {
        let mut line = String::new();
        while stderr.read_line(&mut line).await.unwrap() > 0 {
            seen.push_str(&line);
            if line.starts_with("Job status: running") {
                return;
            }
            line.clear();
        }
        panic!("no running status: {seen}");
    };
    tokio::time::timeout(Duration::from_secs(20), wait_running)
        .await
        .unwrap();
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).await.unwrap();
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert!(
        rest.contains(&format!("job {JOB} keeps running on the server")),
        "{rest}"
    );
    assert!(rest.contains("bencher job logs"), "{rest}");
}
