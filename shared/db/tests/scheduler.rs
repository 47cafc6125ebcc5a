//! The scheduler's queries on both backends: queueing is idempotent, a concurrency key never has
//! more jobs holding a slot than its limit (also with many claimers at once), a finished job
//! returns its slot exactly once, heartbeats never move backwards and a cancel request keeps a
//! job from being dispatched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::queries::job::{JobFields, JobReason, NewJob, create_report_with_job};
use bencher_db::queries::scheduler::{
    Claim, Enqueued, NewSchedule, SlotLimit, Step, active, claim, clear_outbox, enqueue,
    job_context, mark_published, outbox_due, record_heartbeat, record_runner, request_cancel,
    slot_in_use, step, waiting, waiting_keys,
};
use bencher_db::{DatabaseConnection, JobStatus};
use bencher_testkit::db_tests;
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, RunnerUuid};
use bencher_wire::status::FailureReason;
use chrono::{Duration, SubsecRound, Utc};
use common::{Fixture, fixture, new_report};
use serde_json::json;

const KEY: &str = "free:org:1";

async fn new_job(db: &DatabaseConnection, f: &Fixture) -> anyhow::Result<(JobUuid, i64)> {
    let uuid = JobUuid::new();
    let job = NewJob {
        uuid,
        organization_id: f.organization.id,
        priority: Priority::Free,
        image: "127.0.0.1:5000/app:v1".into(),
        config: json!({"iter": 1}),
        timeout: 60,
        source_ip: None,
    };
    let (_, job) = create_report_with_job(db, new_report(f, Utc::now()), Some(job)).await?;
    Ok((uuid, job.unwrap().id))
}

fn schedule(job: JobUuid, key: Option<&str>) -> NewSchedule {
    NewSchedule {
        job,
        slot_key: key.map(str::to_owned),
        tier: Priority::Free,
        spec_slug: "default".into(),
        run: json!({"job": job.to_string()}),
        timeout_secs: 60,
    }
}

fn limit1() -> Option<SlotLimit<'static>> {
    Some(SlotLimit { key: KEY, limit: 1 })
}

async fn queued(db: &DatabaseConnection, f: &Fixture) -> anyhow::Result<(JobUuid, i64)> {
    let (uuid, id) = new_job(db, f).await?;
    let Enqueued::Queued(row) = enqueue(db, schedule(uuid, Some(KEY))).await? else {
        panic!("not queued");
    };
    assert_eq!((row.job_id, row.attempt, row.dispatched), (id, 0, None));
    Ok((uuid, id))
}

async fn one_slot_per_key_released_once(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "slots").await?;
    let (a, a_id) = queued(&db, &f).await?;
    let (_, b_id) = queued(&db, &f).await?;
    // Queueing again changes nothing; the job is pending.
    let Enqueued::Queued(again) = enqueue(&db, schedule(a, Some(KEY))).await? else {
        panic!("not queued");
    };
    assert_eq!(again.attempt, 0);
    let ctx = job_context(&db, a).await?.unwrap();
    assert_eq!(ctx.job.status, "pending");
    assert!(ctx.schedule.is_some());

    // Oldest first.
    let first = waiting(&db, Some(KEY), 10).await?;
    assert_eq!(
        first.iter().map(|r| r.job_id).collect::<Vec<_>>(),
        [a_id, b_id]
    );
    assert_eq!(waiting_keys(&db).await?, vec![(Some(KEY.to_owned()), 100)]);

    let Claim::Claimed(row) = claim(&db, a_id, limit1()).await? else {
        panic!("a not claimed");
    };
    assert_eq!(row.attempt, 1);
    assert!(row.dispatched.is_some() && row.published.is_none());
    assert_eq!(claim(&db, a_id, limit1()).await?, Claim::NotEligible);
    assert_eq!(claim(&db, b_id, limit1()).await?, Claim::NoRoom);
    assert_eq!(slot_in_use(&db, KEY).await?, 1);
    assert!(mark_published(&db, a_id, 1, 7).await?);
    assert!(!mark_published(&db, a_id, 1, 7).await?);

    // `completed` frees the slot; a repeated `completed` or the later `processed` do not free
    // it again.
    let done = |job| Step {
        job,
        from: &[JobStatus::Pending, JobStatus::Claimed, JobStatus::Running],
        to: JobStatus::Completed,
        fields: JobFields::default(),
        outbox: None,
    };
    let stepped = step(&db, done(a)).await?;
    assert!(stepped.applied && stepped.released);
    assert_eq!(stepped.status, Some(JobStatus::Completed));
    let again = step(&db, done(a)).await?;
    assert!(!again.applied && !again.released);
    let processed = Step {
        job: a,
        from: &[JobStatus::Completed],
        to: JobStatus::Processed,
        fields: JobFields::default(),
        outbox: None,
    };
    assert!(!step(&db, processed).await?.released);
    assert_eq!(slot_in_use(&db, KEY).await?, 0);

    let Claim::Claimed(row) = claim(&db, b_id, limit1()).await? else {
        panic!("b not claimed after a completed");
    };
    assert_eq!(row.job_id, b_id);
    assert_eq!(slot_in_use(&db, KEY).await?, 1);
    assert!(waiting(&db, Some(KEY), 10).await?.is_empty());
    assert_eq!(active(&db).await?.len(), 1);
    // Unlimited jobs need no slot row.
    let (c, c_id) = new_job(&db, &f).await?;
    enqueue(&db, schedule(c, None)).await?;
    assert!(matches!(claim(&db, c_id, None).await?, Claim::Claimed(_)));
    assert_eq!(slot_in_use(&db, KEY).await?, 1);
    Ok(())
}

async fn concurrent_claims_never_exceed_the_limit(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "race").await?;
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(queued(&db, &f).await?.1);
    }
    for limit in [1u32, 3] {
        let mut tasks = tokio::task::JoinSet::new();
        for &id in &ids {
            let db = db.clone();
            tasks.spawn(async move {
                // Retry what the database reports as transient (lock waits), as the service does.
                loop {
                    match claim(&db, id, Some(SlotLimit { key: KEY, limit })).await {
                        Err(e) if e.is_transient() => tokio::task::yield_now().await,
                        other => return other,
                    }
                }
            });
        }
        let mut claimed = 0;
        while let Some(result) = tasks.join_next().await {
            if matches!(result??, Claim::Claimed(_)) {
                claimed += 1;
            }
        }
        assert_eq!(claimed, if limit == 1 { 1 } else { 2 }, "limit {limit}");
        assert_eq!(slot_in_use(&db, KEY).await?, i32::try_from(limit)?);
    }
    Ok(())
}

async fn liveness_cancel_and_outbox(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "live").await?;
    let (a, a_id) = queued(&db, &f).await?;
    let Claim::Claimed(_) = claim(&db, a_id, limit1()).await? else {
        panic!("not claimed");
    };
    let runner = RunnerUuid::new();
    // PostgreSQL keeps microseconds.
    let t0 = Utc::now().trunc_subsecs(6);
    assert!(record_runner(&db, a_id, 1, runner, t0).await?);
    // Another attempt's events and older heartbeats are ignored.
    assert!(!record_heartbeat(&db, a_id, 2, t0 + Duration::seconds(5)).await?);
    assert!(!record_heartbeat(&db, a_id, 1, t0 - Duration::seconds(5)).await?);
    assert!(record_heartbeat(&db, a_id, 1, t0 + Duration::seconds(1)).await?);
    let (row, job) = active(&db).await?.pop().unwrap();
    assert_eq!(job.id, a_id);
    assert_eq!(row.runner_uuid, Some(runner.as_uuid()));
    assert_eq!(row.last_heartbeat, Some(t0 + Duration::seconds(1)));

    // The runner is lost: failed, with the event in the outbox until published.
    let event = json!({"event": "failed"});
    let lost = Step {
        job: a,
        from: &[JobStatus::Pending, JobStatus::Claimed, JobStatus::Running],
        to: JobStatus::Failed,
        fields: JobFields {
            reason: Some(JobReason::Failure(FailureReason::RunnerLost {
                runner,
                last_heartbeat: Some(t0),
            })),
            ..Default::default()
        },
        outbox: Some(event.clone()),
    };
    let stepped = step(&db, lost.clone()).await?;
    assert!(stepped.applied && stepped.released);
    assert_eq!(stepped.schedule.unwrap().outbox, Some(event));
    // A repeat of the step does not write the outbox again once it was cleared.
    let later = Utc::now() + Duration::seconds(1);
    assert_eq!(outbox_due(&db, later).await?.len(), 1);
    assert!(clear_outbox(&db, a_id).await?);
    assert!(!step(&db, lost).await?.applied);
    assert!(outbox_due(&db, later).await?.is_empty());
    assert!(active(&db).await?.is_empty());

    // A cancel request keeps a waiting job from ever being dispatched.
    let (b, b_id) = queued(&db, &f).await?;
    assert!(request_cancel(&db, b_id, json!({"kind": "requested"}), false).await?);
    assert!(!request_cancel(&db, b_id, json!({"kind": "timeout"}), true).await?);
    assert_eq!(claim(&db, b_id, limit1()).await?, Claim::NotEligible);
    let row = job_context(&db, b).await?.unwrap().schedule.unwrap();
    assert_eq!(row.cancel_reason, Some(json!({"kind": "requested"})));
    assert!(row.cancel_sent.is_some());
    // A job canceled before resolution is never queued.
    let (c, _) = new_job(&db, &f).await?;
    let canceled = Step {
        job: c,
        from: &[JobStatus::Requested],
        to: JobStatus::Canceled,
        fields: JobFields::default(),
        outbox: None,
    };
    let stepped = step(&db, canceled).await?;
    assert!(stepped.applied && stepped.schedule.is_none());
    assert!(matches!(
        enqueue(&db, schedule(c, Some(KEY))).await?,
        Enqueued::NotPending(JobStatus::Canceled, None)
    ));
    assert!(matches!(
        enqueue(&db, schedule(JobUuid::new(), Some(KEY))).await?,
        Enqueued::Missing
    ));
    Ok(())
}

db_tests!(
    one_slot_per_key_released_once,
    concurrent_claims_never_exceed_the_limit,
    liveness_cancel_and_outbox
);
