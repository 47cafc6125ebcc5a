//! Reports and jobs are created together or not at all, and the job state machine applies each
//! transition once and refuses backwards moves, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::entities::{job, report};
use bencher_db::queries::job::{
    JobFields, JobReason, NewJob, create_report_with_job, job_by_uuid, job_transition,
};
use bencher_db::{DatabaseConnection, DbError, JobStatus};
use bencher_testkit::db_tests;
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, RunnerUuid};
use bencher_wire::status::FailureReason;
use chrono::Utc;
use common::{fixture, new_report};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

fn new_job(organization_id: i64) -> NewJob {
    NewJob {
        uuid: JobUuid::new(),
        organization_id,
        priority: Priority::Free,
        image: "127.0.0.1:6610/app:v1".into(),
        config: json!({"cmd": ["bench"], "iter": 2}),
        timeout: 300,
        source_ip: Some("10.0.0.1".into()),
    }
}

async fn report_and_job_in_one_transaction(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "jobs").await?;
    let new = new_job(f.organization.id);
    let (report, job) =
        create_report_with_job(&db, new_report(&f, Utc::now()), Some(new.clone())).await?;
    let job = job.ok_or_else(|| anyhow::anyhow!("no job returned"))?;
    assert_eq!(job.report_id, report.id);
    assert_eq!(job.uuid, new.uuid.as_uuid());
    assert_eq!(job.status, "requested");
    assert_eq!(job.priority, 100);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.config, json!({"cmd": ["bench"], "iter": 2}));
    assert_eq!(job_by_uuid(&db, new.uuid).await?, Some(job));

    // A job that cannot be inserted (unknown organization) takes its report down with it.
    let err = create_report_with_job(&db, new_report(&f, Utc::now()), Some(new_job(i64::MAX)))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Db(_)), "{err}");
    assert!(!err.is_transient(), "{err}");
    assert_eq!(report::Entity::find().count(&db).await?, 1);
    assert_eq!(job::Entity::find().count(&db).await?, 1);

    // The same job uuid twice is refused as a unique violation, also without a stray report.
    let err = create_report_with_job(&db, new_report(&f, Utc::now()), Some(new))
        .await
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err}");
    assert_eq!(report::Entity::find().count(&db).await?, 1);
    Ok(())
}

async fn transitions_apply_once_and_never_backwards(db: DatabaseConnection) -> anyhow::Result<()> {
    use JobStatus::*;
    let f = fixture(&db, "machine").await?;
    let new = new_job(f.organization.id);
    let id = new.uuid;
    create_report_with_job(&db, new_report(&f, Utc::now()), Some(new)).await?;
    let status = |db: DatabaseConnection| async move {
        let job = job_by_uuid(&db, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("gone"))?;
        anyhow::Ok(job)
    };

    let resolved = JobFields {
        digest: Some("sha256:abc".into()),
        priority: Some(200),
        ..Default::default()
    };
    assert!(job_transition(&db, id, &[Requested], Pending, resolved.clone()).await?);
    // The same event delivered again changes nothing.
    assert!(!job_transition(&db, id, &[Requested], Pending, resolved).await?);
    let job = status(db.clone()).await?;
    assert_eq!(job.status, "pending");
    assert_eq!(job.digest.as_deref(), Some("sha256:abc"));
    assert_eq!(job.priority, 200);
    assert!(job.resolved.is_some() && job.claimed.is_none());

    let claim = JobFields {
        increment_attempts: true,
        ..Default::default()
    };
    assert!(job_transition(&db, id, &[Pending], Claimed, claim.clone()).await?);
    assert!(job_transition(&db, id, &[Claimed], Running, JobFields::default()).await?);
    // A late `claimed` after `running` is ignored, not applied.
    assert!(!job_transition(&db, id, &[Pending], Claimed, claim).await?);
    assert_eq!(status(db.clone()).await?.status, "running");
    assert_eq!(status(db.clone()).await?.attempts, 1);

    let done = JobFields {
        exit_code: Some(0),
        output: Some(serde_json::json!({"stdout": "inline"})),
        ..Default::default()
    };
    assert!(job_transition(&db, id, &[Claimed, Running], Completed, done).await?);
    assert!(job_transition(&db, id, &[Completed], Processed, JobFields::default()).await?);
    let job = status(db.clone()).await?;
    assert_eq!(job.status, "processed");
    assert_eq!(job.exit_code, Some(0));
    assert!(job.started.is_some() && job.completed.is_some());

    // Nothing leaves a terminal state; asking for an impossible move is an error.
    let cancel: Vec<JobStatus> = JobStatus::ALL
        .into_iter()
        .filter(|s| s.can_transition_to(Canceled, None))
        .collect();
    assert!(!cancel.contains(&Processed));
    assert!(!job_transition(&db, id, &cancel, Canceled, JobFields::default()).await?);
    let err = job_transition(&db, id, &[Processed], Running, JobFields::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::InvalidTransition { .. }), "{err}");
    assert_eq!(status(db.clone()).await?.status, "processed");
    Ok(())
}

async fn late_completed_replaces_a_lost_heartbeat_failure(
    db: DatabaseConnection,
) -> anyhow::Result<()> {
    use JobStatus::*;
    let f = fixture(&db, "late").await?;
    let new = new_job(f.organization.id);
    let id = new.uuid;
    create_report_with_job(&db, new_report(&f, Utc::now()), Some(new)).await?;
    for (from, to) in [(Requested, Pending), (Pending, Claimed), (Claimed, Running)] {
        assert!(job_transition(&db, id, &[from], to, JobFields::default()).await?);
    }
    let lost = JobFields {
        reason: Some(JobReason::Failure(FailureReason::RunnerLost {
            runner: RunnerUuid::new(),
            last_heartbeat: None,
        })),
        ..Default::default()
    };
    assert!(job_transition(&db, id, &[Running], Failed, lost).await?);
    let job = job_by_uuid(&db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("gone"))?;
    assert_eq!(job.reason_kind.as_deref(), Some("runner_lost"));
    let late = JobFields {
        exit_code: Some(0),
        ..Default::default()
    };
    assert!(job_transition(&db, id, &[Running, Failed], Completed, late.clone()).await?);
    let job = job_by_uuid(&db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("gone"))?;
    assert_eq!(job.status, "completed");
    assert_eq!(job.exit_code, Some(0));
    assert_eq!((job.reason_kind, job.reason), (None, None));

    // Any other failure stays failed when a late `completed` arrives.
    let new = new_job(f.organization.id);
    let other = new.uuid;
    create_report_with_job(&db, new_report(&f, Utc::now()), Some(new)).await?;
    let exit = JobFields {
        reason: Some(JobReason::Failure(FailureReason::ExitCode { exit_code: 1 })),
        ..Default::default()
    };
    assert!(job_transition(&db, other, &[Requested], Failed, exit).await?);
    assert!(!job_transition(&db, other, &[Failed], Completed, late).await?);
    let job = job_by_uuid(&db, other)
        .await?
        .ok_or_else(|| anyhow::anyhow!("gone"))?;
    assert_eq!(job.status, "failed");
    assert_eq!(job.reason_kind.as_deref(), Some("exit_code"));
    // A transition on a job that does not exist applies to nothing.
    assert!(
        !job_transition(
            &db,
            JobUuid::new(),
            &[Pending],
            Claimed,
            JobFields::default()
        )
        .await?
    );
    Ok(())
}

async fn requeue_clears_the_runner(db: DatabaseConnection) -> anyhow::Result<()> {
    use JobStatus::*;
    let f = fixture(&db, "requeue").await?;
    let new = new_job(f.organization.id);
    let id = new.uuid;
    create_report_with_job(&db, new_report(&f, Utc::now()), Some(new)).await?;
    assert!(job_transition(&db, id, &[Requested], Pending, JobFields::default()).await?);
    // Runner events may be handled out of order: `running` before `claimed` moves forward...
    assert!(job_transition(&db, id, &[Pending, Claimed], Running, JobFields::default()).await?);
    // ...and the late `claimed` is then refused.
    assert!(!job_transition(&db, id, &[Pending], Claimed, JobFields::default()).await?);
    // The runner is lost: the scheduler puts the job back for another attempt.
    assert!(job_transition(&db, id, &[Claimed, Running], Pending, JobFields::default()).await?);
    let job = job_by_uuid(&db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("gone"))?;
    assert_eq!((job.status.as_str(), job.runner_id), ("pending", None));
    // `requested` cannot be re-entered, not even by a re-queue.
    let err = job_transition(&db, id, &[Pending], Requested, JobFields::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::InvalidTransition { .. }), "{err}");
    Ok(())
}

db_tests!(
    requeue_clears_the_runner,
    report_and_job_in_one_transaction,
    transitions_apply_once_and_never_backwards,
    late_completed_replaces_a_lost_heartbeat_failure
);
