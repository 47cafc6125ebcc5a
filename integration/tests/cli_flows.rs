//! Proves the CLI's other ways of following a job: `--iter 3` runs the image three times and
//! the report holds three iterations (and the database three sets of metrics); with NATS
//! unreachable (`--nats-url nats://127.0.0.1:1`) the CLI falls back to the server's event
//! stream and still shows the status changes live and then the report; and `bencher job
//! logs` on a job that already finished prints its output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::time::Duration;

use bencher_integration::cli::{output, run_args, text};
use bencher_integration::{BMF_SCRIPT, Sandbox, bencher};
use bencher_wire::ids::JobUuid;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn three_iterations_give_three_sets_of_results() {
    let sandbox = Sandbox::start().await.unwrap();
    let image = sandbox
        .push_script_image("iter:v1", BMF_SCRIPT)
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("iterations", &image))
        .args(["--iter", "3", "--format", "json"]);
    let out = output(cli).await.unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The runner's log line, once per iteration.
    assert_eq!(
        stderr.matches("running the benchmark").count(),
        3,
        "{stderr}"
    );

    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let iterations = report["results"].as_array().unwrap();
    assert_eq!(iterations.len(), 3, "{report:#}");
    for iteration in iterations {
        let names: Vec<&str> = iteration
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["benchmark"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{iteration:#}");
        assert!(names.contains(&"fib 20") && names.contains(&"sort/µs"));
    }
    let job: JobUuid = report["job"]["uuid"].as_str().unwrap().parse().unwrap();
    let stored = sandbox.stored_results(job).await.unwrap();
    assert_eq!(stored.iterations, 3, "{stored:?}");
    assert_eq!(stored.metrics, 6, "{stored:?}");
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_nats_the_cli_follows_the_event_stream() {
    let sandbox = Sandbox::start().await.unwrap();
    // The container runs for a second, so `running` is a status the stream shows.
    let image = sandbox
        .push_script_image("sse:v1", &format!("sleep 1; {BMF_SCRIPT}"))
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("sse", &image))
        .args(["--nats-url", "nats://127.0.0.1:1"]);
    let out = output(cli).await.unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    println!("--- stderr\n{stderr}--- stdout\n{stdout}");
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("NATS is unreachable"), "{stderr}");
    assert!(!stderr.contains("polling the server"), "{stderr}");
    let at = |needle: &str| {
        stderr
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not shown:\n{stderr}"))
    };
    assert!(at("Job status: running") < at("Job status: processed"));
    assert!(at("running the benchmark") < at("Job status: processed"));
    // The human report.
    assert!(
        stdout.contains("fib 20") && stdout.contains("1520.5"),
        "{stdout}"
    );
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn late_logs_of_a_finished_job_print_its_output() {
    let sandbox = Sandbox::start().await.unwrap();
    let image = sandbox
        .push_script_image("late:v1", BMF_SCRIPT)
        .await
        .unwrap();
    let mut cli = bencher!(sandbox);
    cli.args(run_args("late-logs", &image))
        .args(["--format", "json"]);
    let out = output(cli).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = report["job"]["uuid"].as_str().unwrap().to_owned();
    // Late: the job's row says it is over (the CLI stopped at the notifier's status).
    sandbox
        .wait_job_status(job.parse().unwrap(), "processed", Duration::from_secs(30))
        .await
        .unwrap();

    let mut logs = bencher!(sandbox);
    logs.args(["job", "logs", "--project", "late-logs", &job]);
    let out = output(logs).await.unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("processed"), "{stderr}");
    assert!(stderr.contains("running the benchmark"), "{stderr}");
    let bmf: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(bmf["fib 20"]["latency"]["value"], 1520.5);
    sandbox.stop().await.unwrap();
}
