//! Proves the scheduler's per-organization concurrency with two idle runners: two jobs of one
//! free organization run one after the other (the second container starts only after the
//! first one finished), while two jobs of one plus organization run at the same time. The
//! organizations' tiers are set in the database, as a plan change would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::time::Duration;

use bencher_integration::cli::{detached_job, run_args};
use bencher_integration::probe::EventLog;
use bencher_integration::{BMF_SCRIPT, Sandbox, SandboxOptions, bencher};
use bencher_wire::Priority;
use bencher_wire::ids::JobUuid;
use bencher_wire::nats::JobEventKind as Kind;
use chrono::{DateTime, Utc};

const WITHIN: Duration = Duration::from_secs(90);

/// Submits two jobs of `project` at once and returns, for each, when its container started
/// and when it completed (the runner's own timestamps), in start order.
async fn run_two(
    sandbox: &Sandbox,
    events: &mut EventLog,
    project: &str,
    image: &str,
) -> Vec<(JobUuid, DateTime<Utc>, DateTime<Utc>)> {
    let submit = || {
        let mut cli = bencher!(sandbox);
        cli.args(run_args(project, image)).arg("--detach");
        detached_job(cli)
    };
    let (a, b) = tokio::join!(submit(), submit());
    let mut spans = Vec::new();
    for job in [a.unwrap(), b.unwrap()] {
        let end = events.wait_end(job, WITHIN).await.unwrap();
        assert_eq!(end.kind(), Kind::Processed, "{:?}", end.message);
        let running = events.wait_event(job, Kind::Running, WITHIN).await.unwrap();
        let completed = events
            .wait_event(job, Kind::Completed, WITHIN)
            .await
            .unwrap();
        assert_eq!(sandbox.job_row(job).await.unwrap().priority, {
            let tier = if project.starts_with("free") {
                Priority::Free
            } else {
                Priority::Plus
            };
            tier.value()
        });
        spans.push((job, running.message.at, completed.message.at));
    }
    spans.sort_by_key(|s| s.1);
    spans
}

#[tokio::test(flavor = "multi_thread")]
async fn free_jobs_run_one_at_a_time_and_plus_jobs_together() {
    let sandbox = Sandbox::start_with(SandboxOptions {
        runners: 2,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let mut events = sandbox.events().await.unwrap();
    sandbox
        .project_of_tier("free-org", "free-project", Priority::Free)
        .await
        .unwrap();
    sandbox
        .project_of_tier("plus-org", "plus-project", Priority::Plus)
        .await
        .unwrap();
    let image = sandbox
        .push_script_image("two:v1", &format!("sleep 2; {BMF_SCRIPT}"))
        .await
        .unwrap();

    let free = run_two(&sandbox, &mut events, "free-project", &image).await;
    println!("free: {free:?}");
    assert!(
        free[1].1 >= free[0].2,
        "the second free job started before the first completed: {free:?}"
    );

    let plus = run_two(&sandbox, &mut events, "plus-project", &image).await;
    println!("plus: {plus:?}");
    assert!(
        plus[1].1 < plus[0].2,
        "the plus jobs did not overlap: {plus:?}"
    );
    for (job, ..) in free.iter().chain(&plus) {
        assert_eq!(sandbox.stored_results(*job).await.unwrap().metrics, 2);
    }
    sandbox.stop().await.unwrap();
}
