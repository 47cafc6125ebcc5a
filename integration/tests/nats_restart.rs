//! Proves that a restart of the NATS server in the middle of a job loses nothing: the server
//! is killed (SIGKILL) while the container runs and started again on the same port and store.
//! Every service, the runner and the CLI reconnect; the job still reaches `processed` with
//! its metrics stored once, and the CLI following it live (NATS, with polling as its safety
//! net) still prints the report and exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::time::{Duration, Instant};

use bencher_integration::cli::{Stream, Timed, run_args};
use bencher_integration::{BMF_SCRIPT, Sandbox, bencher};
use bencher_wire::nats::JobEventKind as Kind;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn a_nats_restart_mid_job_loses_nothing() {
    let mut sandbox = Sandbox::start().await.unwrap();
    let mut events = sandbox.events().await.unwrap();
    // Long enough for the restart to land while the container runs.
    let image = sandbox
        .push_script_image("slow:v1", &format!("sleep 2; {BMF_SCRIPT}"))
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("nats-restart", &image))
        .args(["--format", "json"]);
    let timed = Timed::spawn(cli).unwrap();

    let running = events
        .wait_for(Duration::from_secs(60), |e| e.kind() == Kind::Running)
        .await
        .unwrap();
    let job = running.job();
    drop(events);
    let restart = Instant::now();
    sandbox.nats.restart().await.unwrap();
    println!("nats-server back after {:?}", restart.elapsed());

    let out = tokio::task::spawn_blocking(move || timed.finish())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (out.text(Stream::Stdout), out.text(Stream::Stderr));
    println!(
        "CLI done {:?} after the restart\n--- stderr\n{stderr}",
        restart.elapsed()
    );
    assert!(out.success, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert!(stderr.contains("Job status: processed"), "{stderr}");
    assert_eq!(report["results"][0].as_array().unwrap().len(), 2);

    sandbox
        .wait_job_status(job, "processed", Duration::from_secs(60))
        .await
        .unwrap();
    let stored = sandbox.stored_results(job).await.unwrap();
    assert_eq!(stored.metrics, 2, "{stored:?}");
    assert_eq!(sandbox.dead_letters().await.unwrap(), 0);
    sandbox.stop().await.unwrap();
}
