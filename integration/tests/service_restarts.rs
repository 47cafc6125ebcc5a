//! Proves that a crash of the resolver, the scheduler or the result-processor loses nothing:
//! each runs as its own stack (microservices mode in one process) and is killed — its tasks
//! aborted, no graceful shutdown — while a job is in flight, then started again. The job still
//! reaches `processed`, its metrics are stored once (counted in the database), it is
//! dispatched once, nothing lands in the dead-letter stream and no job is left behind. Each
//! test then replays the event the service had just handled, as JetStream redelivers a
//! message whose consumer died between its database commit and its ack, and checks that the
//! second delivery changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code may fail loudly

use std::time::Duration;

use bencher_integration::cli::{detached_job, run_args};
use bencher_integration::probe::EventLog;
use bencher_integration::{BMF_SCRIPT, Sandbox, SandboxOptions, Service, bencher};
use bencher_wire::ids::JobUuid;
use bencher_wire::nats::JobEventKind as Kind;

const EVENT: Duration = Duration::from_secs(60);

async fn split_sandbox() -> (Sandbox, EventLog, String) {
    let sandbox = Sandbox::start_with(SandboxOptions {
        split_services: true,
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let events = sandbox.events().await.unwrap();
    let image = sandbox
        .push_script_image("bench:v1", &format!("sleep 1; {BMF_SCRIPT}"))
        .await
        .unwrap();
    (sandbox, events, image)
}

async fn submit(sandbox: &Sandbox, project: &str, image: &str) -> JobUuid {
    let mut cli = bencher!(sandbox);
    cli.args(run_args(project, image)).arg("--detach");
    detached_job(cli).await.unwrap()
}

/// The job is processed, with its two metrics stored once and every step taken once; no job
/// is left unfinished and nothing was dead-lettered.
async fn assert_finished_once(sandbox: &Sandbox, events: &mut EventLog, job: JobUuid) {
    let end = events.wait_end(job, EVENT).await.unwrap();
    assert_eq!(end.kind(), Kind::Processed, "{:?}", end.message);
    // The scheduler, which owns the status, may still be reading its backlog.
    sandbox
        .wait_job_status(job, "processed", EVENT)
        .await
        .unwrap();
    events.catch_up(EVENT).await.unwrap();
    for kind in [
        Kind::Requested,
        Kind::Resolved,
        Kind::Dispatched,
        Kind::Claimed,
        Kind::Completed,
        Kind::Processed,
    ] {
        assert_eq!(events.count(job, kind), 1, "{kind} events of {job}");
    }
    let stored = sandbox.stored_results(job).await.unwrap();
    assert_eq!(stored.metrics, 2, "{stored:?}");
    assert_eq!(stored.benchmark_runs, 2, "{stored:?}");
    for row in sandbox.job_rows().await.unwrap() {
        assert!(
            ["processed", "failed", "canceled"].contains(&row.status.as_str()),
            "job {} left {}",
            row.uuid,
            row.status
        );
    }
    assert_eq!(sandbox.dead_letters().await.unwrap(), 0);
}

/// Replays `kind` of `job` to `service` and checks that the second delivery is acknowledged
/// and changes nothing.
async fn replay_changes_nothing(
    sandbox: &Sandbox,
    events: &mut EventLog,
    job: JobUuid,
    kind: Kind,
    service: Service,
) {
    let original = events.wait_event(job, kind, EVENT).await.unwrap();
    let sequence = sandbox.replay(&original).await.unwrap();
    sandbox
        .wait_consumer_done(service, sequence, Duration::from_secs(90))
        .await
        .unwrap();
    // Whatever the second delivery published is in the stream once the consumer acked it.
    events.catch_up(EVENT).await.unwrap();
    assert_eq!(events.count(job, kind), 2, "the replay itself");
    for later in [Kind::Resolved, Kind::Dispatched, Kind::Processed] {
        if later != kind {
            assert_eq!(
                events.count(job, later),
                1,
                "{later} after a replayed {kind}"
            );
        }
    }
    let stored = sandbox.stored_results(job).await.unwrap();
    assert_eq!(
        stored.metrics, 2,
        "metrics after a replayed {kind}: {stored:?}"
    );
    assert_eq!(sandbox.job_row(job).await.unwrap().status, "processed");
    assert_eq!(sandbox.dead_letters().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_resolver_killed_before_a_job_resolves_it_after_its_restart() {
    let (mut sandbox, mut events, image) = split_sandbox().await;
    sandbox.kill(Service::Resolver).await.unwrap();
    let job = submit(&sandbox, "resolver-crash", &image).await;
    events
        .wait_event(job, Kind::Requested, EVENT)
        .await
        .unwrap();
    // Nobody resolves it while the resolver is down.
    assert_eq!(sandbox.job_row(job).await.unwrap().status, "requested");
    assert!(sandbox.job_row(job).await.unwrap().digest.is_none());

    sandbox.restart(Service::Resolver).await.unwrap();
    assert_finished_once(&sandbox, &mut events, job).await;
    replay_changes_nothing(
        &sandbox,
        &mut events,
        job,
        Kind::Requested,
        Service::Resolver,
    )
    .await;
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduler_killed_twice_mid_job_still_finishes_it() {
    let (mut sandbox, mut events, image) = split_sandbox().await;
    // Down when the job is resolved: the dispatch waits for it.
    sandbox.kill(Service::Scheduler).await.unwrap();
    let job = submit(&sandbox, "scheduler-crash", &image).await;
    events.wait_event(job, Kind::Resolved, EVENT).await.unwrap();
    sandbox.restart(Service::Scheduler).await.unwrap();
    // Down again while the container runs: claimed/running may be in a handler right now;
    // heartbeats and the completion queue up for the next instance.
    events.wait_event(job, Kind::Running, EVENT).await.unwrap();
    sandbox.kill(Service::Scheduler).await.unwrap();
    events
        .wait_event(job, Kind::Completed, EVENT)
        .await
        .unwrap();
    sandbox.restart(Service::Scheduler).await.unwrap();

    assert_finished_once(&sandbox, &mut events, job).await;
    replay_changes_nothing(
        &sandbox,
        &mut events,
        job,
        Kind::Resolved,
        Service::Scheduler,
    )
    .await;
    sandbox.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_processor_killed_before_a_job_completes_stores_its_metrics_once() {
    let (mut sandbox, mut events, image) = split_sandbox().await;
    let job = submit(&sandbox, "processor-crash", &image).await;
    events.wait_event(job, Kind::Running, EVENT).await.unwrap();
    sandbox.kill(Service::Processor).await.unwrap();
    events
        .wait_event(job, Kind::Completed, EVENT)
        .await
        .unwrap();
    // The output waits in the stream; nothing is stored while the processor is down.
    assert_eq!(sandbox.stored_results(job).await.unwrap().metrics, 0);

    sandbox.restart(Service::Processor).await.unwrap();
    assert_finished_once(&sandbox, &mut events, job).await;
    replay_changes_nothing(
        &sandbox,
        &mut events,
        job,
        Kind::Completed,
        Service::Processor,
    )
    .await;
    sandbox.stop().await.unwrap();
}
