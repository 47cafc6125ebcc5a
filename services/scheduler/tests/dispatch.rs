//! Queueing and concurrency against a real nats-server and database: a resolved job becomes a
//! run command on its dispatch subject; a free organization runs one job at a time, a plus one
//! runs them all at once, unclaimed projects one per source address; two scheduler instances
//! sharing the durable consumer never exceed the slot; replayed events change nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use bencher_testkit::db::Backend;
use bencher_wire::Priority;
use bencher_wire::ids::RunnerUuid;
use bencher_wire::msg::{JobEvent, JobEventMessage};
use bencher_wire::nats::JobEventKind;
use bencher_wire::status::JobStatus;
use support::{Harness, SPEC, completed, fast_options, next_event, next_run, resolved};

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(1500);

async fn resolved_job_is_dispatched(backend: Backend) {
    let mut h = Harness::start(backend).await;
    h.spawn_scheduler(fast_options()).await;
    let queue = h.runner_queue(Priority::Free).await;
    let org = h.org("acme", Priority::Free).await;
    let job = h.job(&org, Some("10.0.0.1")).await;
    let mut timeline = h.timeline(job).await;

    h.resolve(job, Priority::Free, 120).await;
    let run = next_run(&queue, WAIT).await.expect("no run command");
    assert_eq!(run.job, job);
    assert_eq!(run.attempt, 1);
    assert_eq!(run.msg_id(), format!("{job}:run:1"));
    assert_eq!(run.spec.slug.as_str(), SPEC);
    assert_eq!(run.tier, Priority::Free);
    assert_eq!(run.timeout.get(), 120);
    assert_eq!(run.heartbeat_interval_ms, 1000);
    assert_eq!(
        (run.output_limits.max_bytes, run.output_limits.max_files),
        (25 * 1024 * 1024, 255)
    );
    assert_eq!(run.registry.registry, "127.0.0.1:5000");
    assert!(run.registry.plain_http);
    assert_eq!(run.config.iter.get(), 2);
    assert_eq!(run.config.cmd.as_deref(), Some(&["./bench".to_owned()][..]));
    assert!(run.image.to_string().contains("@sha256:"));
    let ctx = bencher_db::queries::scheduler::job_context(h.conn(), job)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.report, ctx.report);
    assert_eq!(run.project, ctx.project);

    let dispatched = next_event(&mut timeline, JobEventKind::Dispatched, WAIT).await;
    assert_eq!(
        dispatched.event,
        JobEvent::Dispatched {
            spec: SPEC.parse().unwrap(),
            tier: Priority::Free,
            attempt: 1
        }
    );
    assert_eq!(h.status(job).await, JobStatus::Pending);
    let row = h.schedule(job).await.unwrap();
    assert!(row.published.is_some() && row.dispatch_seq.is_some());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resolved_job_is_dispatched_sqlite() {
    resolved_job_is_dispatched(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resolved_job_is_dispatched_postgres() {
    resolved_job_is_dispatched(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn free_org_runs_one_job_at_a_time_and_events_drive_the_status() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let queue = h.runner_queue(Priority::Free).await;
    let org = h.org("free-org", Priority::Free).await;
    let first = h.job(&org, None).await;
    let second = h.job(&org, None).await;
    h.resolve(first, Priority::Free, 60).await;
    assert_eq!(next_run(&queue, WAIT).await.unwrap().job, first);
    h.resolve(second, Priority::Free, 60).await;
    assert!(
        next_run(&queue, QUIET).await.is_none(),
        "second job dispatched while the first holds the slot"
    );
    assert_eq!(h.status(second).await, JobStatus::Pending);

    let runner = RunnerUuid::new();
    h.publish(first, JobEvent::Claimed { runner, attempt: 1 })
        .await;
    h.wait_status(first, JobStatus::Claimed, WAIT).await;
    h.publish(
        first,
        JobEvent::Running {
            runner,
            attempt: 1,
            iteration: None,
        },
    )
    .await;
    h.wait_status(first, JobStatus::Running, WAIT).await;
    assert!(next_run(&queue, Duration::from_millis(300)).await.is_none());
    h.publish(first, completed(runner)).await;
    h.wait_status(first, JobStatus::Completed, WAIT).await;
    let run = next_run(&queue, WAIT)
        .await
        .expect("second job not dispatched");
    assert_eq!(run.job, second);

    let row = bencher_db::queries::job::job_by_uuid(h.conn(), first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.exit_code, Some(0));
    assert!(row.runner_id.is_some() && row.started.is_some() && row.completed.is_some());
    assert_eq!(row.output.unwrap()["results"][0]["exit_code"], 0);
    h.publish(
        first,
        JobEvent::Processed {
            report: bencher_wire::ids::ReportUuid::new(),
            metrics: 1,
            alerts: 0,
        },
    )
    .await;
    h.wait_status(first, JobStatus::Processed, WAIT).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn plus_runs_in_parallel_unclaimed_one_per_address() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let plus_queue = h.runner_queue(Priority::Plus).await;
    let plus = h.org("plus-org", Priority::Plus).await;
    let a = h.job(&plus, None).await;
    let b = h.job(&plus, None).await;
    h.resolve(a, Priority::Plus, 60).await;
    h.resolve(b, Priority::Plus, 60).await;
    let mut jobs = vec![
        next_run(&plus_queue, WAIT).await.unwrap().job,
        next_run(&plus_queue, WAIT).await.unwrap().job,
    ];
    jobs.sort();
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(jobs, expected);

    // Unclaimed: one job per source address, so two addresses run at once, a second job of
    // the same address waits.
    let queue = h.runner_queue(Priority::Unclaimed).await;
    let anon = h.org("anonymous", Priority::Unclaimed).await;
    let x1 = h.job(&anon, Some("192.0.2.1")).await;
    let x2 = h.job(&anon, Some("192.0.2.1")).await;
    let y = h.job(&anon, Some("192.0.2.2")).await;
    for job in [x1, x2, y] {
        h.resolve(job, Priority::Unclaimed, 60).await;
    }
    let got = [
        next_run(&queue, WAIT).await.unwrap().job,
        next_run(&queue, WAIT).await.unwrap().job,
    ];
    assert!(got.contains(&y), "{got:?}");
    // Resolved at the same time, either job of the shared address may go first.
    let (running, queued) = if got.contains(&x1) {
        (x1, x2)
    } else {
        (x2, x1)
    };
    assert!(got.contains(&running) && !got.contains(&queued), "{got:?}");
    assert!(next_run(&queue, QUIET).await.is_none());
    h.publish(
        running,
        JobEvent::Failed {
            stage: bencher_wire::status::FailureStage::Run,
            reason: bencher_wire::status::FailureReason::ExitCode { exit_code: 3 },
            runner: None,
            attempt: Some(1),
            results: Vec::new(),
        },
    )
    .await;
    assert_eq!(next_run(&queue, WAIT).await.unwrap().job, queued);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_exceed_the_free_slot() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    h.spawn_scheduler(fast_options()).await;
    let queue = h.runner_queue(Priority::Free).await;
    let org = h.org("shared", Priority::Free).await;
    let mut jobs = Vec::new();
    for _ in 0..4 {
        jobs.push(h.job(&org, None).await);
    }
    // The first alone, then the rest at once: both instances race for the one slot, and the
    // waiting jobs are all queued before it frees up.
    h.resolve(jobs[0], Priority::Free, 60).await;
    h.wait_status(jobs[0], JobStatus::Pending, WAIT).await;
    futures::future::join_all(
        jobs[1..]
            .iter()
            .map(|job| h.resolve(*job, Priority::Free, 60)),
    )
    .await;

    let runner = RunnerUuid::new();
    let mut order = Vec::new();
    for _ in 0..jobs.len() {
        let run = next_run(&queue, WAIT)
            .await
            .expect("a job was not dispatched");
        assert!(
            next_run(&queue, QUIET).await.is_none(),
            "two jobs of one free organization dispatched at once"
        );
        let mut holding = 0;
        for job in &jobs {
            let row = h.schedule(*job).await.unwrap();
            if row.dispatched.is_some() && row.finished.is_none() {
                holding += 1;
            }
        }
        assert_eq!(holding, 1);
        order.push(run.job);
        h.start_running(run.job, runner).await;
        h.complete(run.job, runner).await;
        h.wait_status(run.job, JobStatus::Completed, WAIT).await;
    }
    // Each job ran exactly once, oldest first.
    assert_eq!(order, jobs);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replayed_events_change_nothing() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let queue = h.runner_queue(Priority::Free).await;
    let org = h.org("replay", Priority::Free).await;
    let job = h.job(&org, None).await;
    let waiting = h.job(&org, None).await;
    let mut timeline = h.timeline(job).await;

    let resolved_msg = JobEventMessage::new(job, resolved(Priority::Free, 60));
    h.publish_with_id(&resolved_msg, "first").await;
    assert_eq!(next_run(&queue, WAIT).await.unwrap().attempt, 1);
    next_event(&mut timeline, JobEventKind::Dispatched, WAIT).await;
    h.resolve(waiting, Priority::Free, 60).await;
    // The same `resolved` again (a redelivery): no second run command, no second dispatch.
    h.publish_with_id(&resolved_msg, "again").await;
    assert!(next_run(&queue, QUIET).await.is_none());
    let row = h.schedule(job).await.unwrap();
    assert_eq!(row.attempt, 1);

    let runner = RunnerUuid::new();
    h.start_running(job, runner).await;
    // A late `claimed` after `running` does not move the job back.
    let claimed = JobEventMessage::new(job, JobEvent::Claimed { runner, attempt: 1 });
    h.publish_with_id(&claimed, "late-claimed").await;
    let done = JobEventMessage::new(job, completed(runner));
    h.publish_with_id(&done, "done-1").await;
    h.wait_status(job, JobStatus::Completed, WAIT).await;
    assert_eq!(next_run(&queue, WAIT).await.unwrap().job, waiting);
    // `completed` again: the slot is not released twice, nothing else is dispatched, and the
    // job stays completed.
    let other = h.job(&org, None).await;
    h.resolve(other, Priority::Free, 60).await;
    h.publish_with_id(&done, "done-2").await;
    h.publish_with_id(&claimed, "late-claimed-2").await;
    assert!(next_run(&queue, QUIET).await.is_none());
    assert_eq!(h.status(job).await, JobStatus::Completed);
    assert_eq!(h.status(other).await, JobStatus::Pending);
    let in_use = bencher_db::queries::scheduler::slot_in_use(
        h.conn(),
        &format!("free:org:{}", org.organization_id),
    )
    .await
    .unwrap();
    assert_eq!(in_use, 1);
    h.stop().await;
}
