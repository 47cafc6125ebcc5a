//! What a crash leaves owed is published by the next scheduler to start: a run command whose
//! slot was committed but never acknowledged by JetStream, and a terminal event committed in
//! the outbox with its transition but never published.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use bencher_db::queries::job::{JobFields, JobReason};
use bencher_db::queries::scheduler::{Claim, Enqueued, NewSchedule, Step, claim, enqueue, step};
use bencher_testkit::db::Backend;
use bencher_wire::Priority;
use bencher_wire::ids::JobUuid;
use bencher_wire::msg::{JobEvent, JobEventMessage};
use bencher_wire::nats::JobEventKind;
use bencher_wire::status::{Actor, CancelReason, JobStatus};
use support::{Harness, SPEC, fast_options, next_event, next_run};

const WAIT: Duration = Duration::from_secs(10);

/// The checked-in `RunJob` sample, for `job` on the test spec and the plus tier.
fn run_command(job: JobUuid) -> serde_json::Value {
    let path = format!("{}/run_job.json", bencher_wire::SAMPLES_DIR);
    let mut run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    run["job"] = serde_json::json!(job);
    run["attempt"] = serde_json::json!(0);
    run["tier"] = serde_json::json!("plus");
    run["spec"]["slug"] = serde_json::json!(SPEC);
    run
}

async fn queue(h: &Harness, job: JobUuid) -> i64 {
    let new = NewSchedule {
        job,
        slot_key: None,
        tier: Priority::Plus,
        spec_slug: SPEC.to_owned(),
        run: run_command(job),
        timeout_secs: 60,
    };
    let Enqueued::Queued(row) = enqueue(h.conn(), new).await.unwrap() else {
        panic!("not queued");
    };
    row.job_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owed_run_command_and_outbox_event_are_published_after_a_crash() {
    let mut h = Harness::start(Backend::Sqlite).await;
    let runners = h.runner_queue(Priority::Plus).await;
    let org = h.org("crashed", Priority::Plus).await;
    let owed = h.job(&org, None).await;
    let canceled = h.job(&org, None).await;

    // What a scheduler committed before it died: a slot for `owed`, and `canceled` canceled
    // with its event still in the outbox.
    let owed_id = queue(&h, owed).await;
    assert!(matches!(
        claim(h.conn(), owed_id, None).await.unwrap(),
        Claim::Claimed(_)
    ));
    queue(&h, canceled).await;
    let reason = CancelReason::Requested {
        by: Actor::Anonymous { source_ip: None },
    };
    let event = JobEventMessage::new(
        canceled,
        JobEvent::Canceled {
            reason: reason.clone(),
            runner: None,
        },
    );
    let stepped = step(
        h.conn(),
        Step {
            job: canceled,
            from: &[JobStatus::Pending],
            to: JobStatus::Canceled,
            fields: JobFields {
                reason: Some(JobReason::Cancel(reason)),
                ..Default::default()
            },
            outbox: Some(serde_json::to_value(&event).unwrap()),
        },
    )
    .await
    .unwrap();
    assert!(stepped.applied);
    assert!(
        next_run(&runners, Duration::from_millis(300))
            .await
            .is_none()
    );

    let mut owed_timeline = h.timeline(owed).await;
    let mut canceled_timeline = h.timeline(canceled).await;
    h.spawn_scheduler(fast_options()).await;

    let run = next_run(&runners, WAIT).await.expect("owed run command");
    assert_eq!((run.job, run.attempt), (owed, 1));
    let dispatched = next_event(&mut owed_timeline, JobEventKind::Dispatched, WAIT).await;
    assert_eq!(dispatched.msg_id(), format!("{owed}:dispatched:1"));
    let published = next_event(&mut canceled_timeline, JobEventKind::Canceled, WAIT).await;
    assert_eq!(published, event);

    // Both debts are settled: nothing is published twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(h.schedule(owed).await.unwrap().published.is_some());
    assert!(h.schedule(canceled).await.unwrap().outbox.is_none());
    assert!(
        next_run(&runners, Duration::from_millis(500))
            .await
            .is_none()
    );
    h.stop().await;
}
