//! Liveness, cancels and timeouts against a real nats-server and database: heartbeats keep a job
//! alive and their absence fails it with `runner_lost` within the timeout; a late `completed`
//! replaces that failure; a cancel before dispatch cancels at once; a cancel of a running job
//! reaches its runner on `ctl.job.<job>` and again with each heartbeat; a job past timeout +
//! grace is told to stop and canceled when its runner does not confirm.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use bencher_testkit::db::Backend;
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, RunnerUuid};
use bencher_wire::msg::{JobControl, JobEvent};
use bencher_wire::nats::JobEventKind;
use bencher_wire::status::{Actor, CancelReason, FailureReason, JobStatus};
use support::{Harness, fast_options, next_control, next_event, next_run};

const WAIT: Duration = Duration::from_secs(10);

/// Sends heartbeats for `job` every 300 ms until the returned task is aborted.
fn heartbeats(h: &Harness, job: JobUuid, runner: RunnerUuid) -> tokio::task::JoinHandle<()> {
    let js = h.js.clone();
    let subjects = h.topo.subjects().clone();
    tokio::spawn(async move {
        for seq in 1.. {
            let msg = bencher_wire::msg::JobEventMessage::new(
                job,
                JobEvent::Heartbeat {
                    runner,
                    attempt: 1,
                    seq,
                },
            );
            bencher_runtime::publish_deduplicated(
                &js,
                &msg.subject(&subjects),
                &msg.msg_id(),
                serde_json::to_vec(&msg).unwrap().into(),
                None,
            )
            .await
            .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
}

async fn dispatched_job(h: &Harness, slug: &str) -> JobUuid {
    let org = h.org(slug, Priority::Plus).await;
    let job = h.job(&org, None).await;
    h.resolve(job, Priority::Plus, 60).await;
    h.wait_status(job, JobStatus::Pending, WAIT).await;
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lost_heartbeats_fail_the_job_and_a_late_completed_wins() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let alive = dispatched_job(&h, "alive").await;
    let lost = dispatched_job(&h, "lost").await;
    let mut timeline = h.timeline(lost).await;
    let runner = RunnerUuid::new();
    h.start_running(alive, runner).await;
    let beating = heartbeats(&h, alive, runner);
    h.start_running(lost, runner).await;
    let silent_since = Instant::now();

    let failed = next_event(&mut timeline, JobEventKind::Failed, WAIT).await;
    let waited = silent_since.elapsed();
    // Timeout 2 s, sweep every 0.2 s (the first check waits one timeout after start).
    assert!(waited < Duration::from_secs(5), "failed after {waited:?}");
    let JobEvent::Failed { reason, .. } = failed.event else {
        panic!("not a failed event");
    };
    assert!(
        matches!(reason, FailureReason::RunnerLost { runner: r, .. } if r == runner),
        "{reason:?}"
    );
    assert_eq!(h.status(lost).await, JobStatus::Failed);
    // The job with heartbeats lived through the same time.
    assert_eq!(h.status(alive).await, JobStatus::Running);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(h.status(alive).await, JobStatus::Running);
    beating.abort();

    // The runner was only partitioned: its `completed` replaces the failure.
    h.complete(lost, runner).await;
    h.wait_status(lost, JobStatus::Completed, WAIT).await;
    let row = bencher_db::queries::job::job_by_uuid(h.conn(), lost)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.reason_kind, row.exit_code), (None, Some(0)));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn processed_overtaking_a_late_completed_after_lost_heartbeats_still_lands() {
    // As after a NATS restart: the sweep fails a silent job, then the runner's `completed` and
    // the processor's `processed` arrive, `processed` first.
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let lost = dispatched_job(&h, "overtaken").await;
    let mut timeline = h.timeline(lost).await;
    let runner = RunnerUuid::new();
    h.start_running(lost, runner).await;
    next_event(&mut timeline, JobEventKind::Failed, WAIT).await;
    assert_eq!(h.status(lost).await, JobStatus::Failed);

    h.publish(
        lost,
        JobEvent::Processed {
            report: bencher_db::queries::scheduler::job_context(h.conn(), lost)
                .await
                .unwrap()
                .unwrap()
                .report,
            metrics: 2,
            alerts: 0,
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.complete(lost, runner).await;
    h.wait_status(lost, JobStatus::Processed, Duration::from_secs(20))
        .await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_before_dispatch_cancels_at_once() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let queue = h.runner_queue(Priority::Free).await;
    let org = h.org("cancels", Priority::Free).await;
    let holder = h.job(&org, None).await;
    let waiting = h.job(&org, None).await;
    let unresolved = h.job(&org, None).await;
    h.resolve(holder, Priority::Free, 60).await;
    assert_eq!(next_run(&queue, WAIT).await.unwrap().job, holder);
    h.resolve(waiting, Priority::Free, 60).await;
    h.wait_status(waiting, JobStatus::Pending, WAIT).await;

    let by = Actor::Anonymous { source_ip: None };
    for job in [waiting, unresolved] {
        let mut timeline = h.timeline(job).await;
        h.publish(job, JobEvent::CancelRequested { by: by.clone() })
            .await;
        let canceled = next_event(&mut timeline, JobEventKind::Canceled, WAIT).await;
        assert_eq!(
            canceled.event,
            JobEvent::Canceled {
                reason: CancelReason::Requested { by: by.clone() },
                runner: None
            }
        );
        assert_eq!(h.status(job).await, JobStatus::Canceled);
    }
    // A `resolved` arriving after the cancel does not revive the job.
    h.resolve(unresolved, Priority::Free, 60).await;
    // The holder finishes: neither canceled job is dispatched.
    let runner = RunnerUuid::new();
    h.start_running(holder, runner).await;
    h.complete(holder, runner).await;
    h.wait_status(holder, JobStatus::Completed, WAIT).await;
    assert!(
        next_run(&queue, Duration::from_millis(1500))
            .await
            .is_none()
    );
    assert_eq!(h.status(unresolved).await, JobStatus::Canceled);
    assert!(h.schedule(unresolved).await.is_none());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_while_running_is_relayed_until_the_runner_confirms() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let job = dispatched_job(&h, "running-cancel").await;
    let runner = RunnerUuid::new();
    h.start_running(job, runner).await;
    let mut control = h.control(job).await;
    let by = Actor::Anonymous { source_ip: None };
    h.publish(job, JobEvent::CancelRequested { by: by.clone() })
        .await;
    let first = next_control(&mut control, WAIT).await;
    let expected = JobControl::Cancel {
        reason: CancelReason::Requested { by: by.clone() },
    };
    assert_eq!(first.command, expected);
    assert_eq!(first.job, job);
    // The runner missed it: each heartbeat brings it again. The job is still running.
    let beating = heartbeats(&h, job, runner);
    for _ in 0..2 {
        assert_eq!(next_control(&mut control, WAIT).await.command, expected);
    }
    assert_eq!(h.status(job).await, JobStatus::Running);
    // The runner stops the job.
    h.publish(
        job,
        JobEvent::Canceled {
            reason: CancelReason::Requested { by },
            runner: Some(runner),
        },
    )
    .await;
    h.wait_status(job, JobStatus::Canceled, WAIT).await;
    beating.abort();
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_timeout_and_grace_the_job_is_canceled() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    let org = h.org("slow", Priority::Free).await;
    let job = h.job(&org, None).await;
    h.resolve(job, Priority::Free, 1).await;
    h.wait_status(job, JobStatus::Pending, WAIT).await;
    let runner = RunnerUuid::new();
    let mut control = h.control(job).await;
    let mut timeline = h.timeline(job).await;
    h.start_running(job, runner).await;
    let started = Instant::now();
    // Alive, but never ending and ignoring the cancel.
    let beating = heartbeats(&h, job, runner);
    let stop = next_control(&mut control, WAIT).await;
    let timeout = bencher_wire::values::Timeout::new(1).unwrap();
    assert_eq!(
        stop.command,
        JobControl::Cancel {
            reason: CancelReason::Timeout { timeout }
        }
    );
    // Timeout 1 s + grace 1 s.
    assert!(started.elapsed() >= Duration::from_millis(1700));
    let canceled = next_event(&mut timeline, JobEventKind::Canceled, WAIT).await;
    assert_eq!(
        canceled.event,
        JobEvent::Canceled {
            reason: CancelReason::Timeout { timeout },
            runner: None
        }
    );
    assert_eq!(h.status(job).await, JobStatus::Canceled);
    // Still heart-beating for a canceled job: the runner keeps being told to stop.
    assert!(matches!(
        next_control(&mut control, WAIT).await.command,
        JobControl::Cancel { .. }
    ));
    beating.abort();
    h.stop().await;
}

/// The result-processor can publish `processed` before this service applied the `completed`
/// it follows (both queued while the scheduler was down, then handled at once): it is applied
/// after it, whether the `completed` comes moments later (waited for in place) or seconds
/// later (redelivered), instead of being dropped with the job left `completed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_processed_ahead_of_its_completed_is_applied_after_it() {
    let mut h = Harness::start(Backend::Sqlite).await;
    h.spawn_scheduler(fast_options()).await;
    for (slug, completed_after) in [("soon", 100), ("later", 1500)] {
        let job = dispatched_job(&h, slug).await;
        let runner = RunnerUuid::new();
        h.start_running(job, runner).await;
        let processed = JobEvent::Processed {
            report: bencher_wire::ids::ReportUuid::new(),
            metrics: 1,
            alerts: 0,
        };
        h.publish(job, processed).await;
        // The scenario itself: the completed arrives after the processed.
        tokio::time::sleep(Duration::from_millis(completed_after)).await;
        assert_eq!(h.status(job).await, JobStatus::Running, "{slug}");
        h.complete(job, runner).await;
        h.wait_status(job, JobStatus::Processed, WAIT).await;
    }
    h.stop().await;
}
