//! Proves the status projection against a real nats-server and a real SQLite database: events
//! published out of order and repeated, handled by two notifier replicas at once, leave the
//! job-status bucket at the right final status, and every snapshot republished on
//! `status.<job>` has a higher sequence than the one before and never moves the status back;
//! a late watcher with history gets the current state first, then each change.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use async_nats::jetstream::kv;
use bencher_db::DatabaseConnection;
use bencher_db::queries::job::{NewJob, NewReport, create_report_with_job};
use bencher_db::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use bencher_db::types::Visibility;
use bencher_notifier::NotifierError;
use bencher_runtime::provision::ensure_consumer;
use bencher_runtime::{Config, Metrics, ServiceContext, Shutdown, provision, publish_deduplicated};
use bencher_testkit::db::TestDb;
use bencher_testkit::nats::NatsServer;
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, ReportUuid, RunnerUuid};
use bencher_wire::msg::{IterationResult, JobEvent, JobEventMessage, JobStatusSnapshot};
use bencher_wire::nats::{ConsumerDef, ServiceConsumer};
use bencher_wire::status::{FailureReason, FailureStage, JobStatus};
use futures::StreamExt;
use serde_json::json;
use tokio::task::JoinHandle;

struct Stack {
    ctx: ServiceContext,
    db: DatabaseConnection,
    kv: kv::Store,
    shutdown: Shutdown,
    replicas: Vec<JoinHandle<Result<(), NotifierError>>>,
    _test_db: TestDb,
    _nats: NatsServer,
}

impl Stack {
    /// `replicas` notifiers sharing one durable consumer.
    async fn start(replicas: usize) -> Result<Self> {
        let nats = NatsServer::start().await?;
        let test_db = TestDb::sqlite().await?;
        let mut config = Config::default();
        config.nats.urls = vec![nats.url()];
        let client = async_nats::connect(nats.url()).await?;
        let ctx = ServiceContext::new(Arc::new(config), client, Metrics::new())?;
        provision(&ctx.js, &ctx.topology).await?;
        let mut def: ConsumerDef = ctx.topology.service_consumer(ServiceConsumer::Notifier);
        def.durable = "notifier_test".into();
        ensure_consumer(&ctx.js, &def).await?;
        let shutdown = Shutdown::new();
        let replicas = (0..replicas)
            .map(|_| {
                tokio::spawn(bencher_notifier::run_with(
                    ctx.clone(),
                    test_db.conn().clone(),
                    def.clone(),
                    shutdown.clone(),
                ))
            })
            .collect();
        let kv = ctx
            .js
            .get_key_value(ctx.topology.job_status_kv().bucket)
            .await?;
        Ok(Self {
            db: test_db.conn().clone(),
            ctx,
            kv,
            shutdown,
            replicas,
            _test_db: test_db,
            _nats: nats,
        })
    }

    async fn stop(self) -> Result<()> {
        self.shutdown.trigger();
        for replica in self.replicas {
            replica.await??;
        }
        Ok(())
    }

    /// Publishes `event` under `msg_id`; returns its stream sequence.
    async fn publish(&self, event: &JobEventMessage, msg_id: &str) -> Result<u64> {
        let published = publish_deduplicated(
            &self.ctx.js,
            &event.subject(self.ctx.subjects()),
            msg_id,
            serde_json::to_vec(event)?.into(),
            None,
        )
        .await?;
        Ok(published.sequence)
    }

    async fn snapshot(&self, job: JobUuid) -> Result<Option<JobStatusSnapshot>> {
        Ok(match self.kv.get(job.to_string()).await? {
            Some(value) => Some(serde_json::from_slice(&value)?),
            None => None,
        })
    }

    /// Waits until the job's snapshot reflects the event at `sequence`.
    async fn wait_for(&self, job: JobUuid, sequence: u64) -> Result<JobStatusSnapshot> {
        for _ in 0..400 {
            if let Some(s) = self.snapshot(job).await?
                && s.sequence >= sequence
            {
                return Ok(s);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!(
            "no snapshot at sequence {sequence}: {:?}",
            self.snapshot(job).await?
        )
    }
}

/// A job row (the notifier looks up its report when the first event it sees does not name it)
/// and its `requested` event.
async fn job(db: &DatabaseConnection) -> Result<(JobEventMessage, ReportUuid)> {
    let s = |t: &str| t.parse::<bencher_wire::Slug>().unwrap();
    let org = get_or_create_organization(db, &s("acme"), "acme", Priority::Free).await?;
    let project =
        get_or_create_project(db, org.id, &s("acme"), "acme", Visibility::Public, true).await?;
    let branch = get_or_create_branch(db, project.id, &s("main"), "main").await?;
    let testbed = get_or_create_testbed(db, project.id, &s("ci"), "ci").await?;
    let (job, report, now) = (JobUuid::new(), ReportUuid::new(), chrono::Utc::now());
    create_report_with_job(
        db,
        NewReport {
            uuid: report,
            project_id: project.id,
            branch_id: branch.id,
            testbed_id: testbed.id,
            hash: None,
            start_time: now,
            end_time: now,
            adapter: "json".into(),
            average: None,
            fold: None,
            results_ref: None,
        },
        Some(NewJob {
            uuid: job,
            organization_id: org.id,
            priority: Priority::Free,
            image: "demo:v1".into(),
            config: json!({}),
            timeout: 300,
            source_ip: None,
        }),
    )
    .await?;
    let requested = serde_json::from_value(json!({
        "schema": "bencher.v1", "job": job, "at": now, "event": "requested",
        "report": report, "project": project.uuid, "organization": org.uuid,
        "testbed": testbed.uuid, "priority": "free", "image": "demo:v1",
        "settings": { "adapter": "json" }, "config": {},
    }))?;
    Ok((requested, report))
}

fn lifecycle(job: JobUuid, report: ReportUuid, runner: RunnerUuid) -> Vec<JobEventMessage> {
    let events = vec![
        JobEvent::Dispatched {
            spec: "default".parse().unwrap(),
            tier: Priority::Free,
            attempt: 1,
        },
        JobEvent::Claimed { runner, attempt: 1 },
        JobEvent::Running {
            runner,
            attempt: 1,
            iteration: None,
        },
        JobEvent::Heartbeat {
            runner,
            attempt: 1,
            seq: 1,
        },
        JobEvent::Completed {
            runner,
            attempt: 1,
            results: vec![IterationResult {
                exit_code: 0,
                ..IterationResult::default()
            }],
        },
        JobEvent::Processed {
            report,
            metrics: 2,
            alerts: 0,
        },
    ];
    events
        .into_iter()
        .map(|e| JobEventMessage::new(job, e))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scrambled_and_repeated_events_end_at_the_final_status() -> Result<()> {
    let stack = Stack::start(2).await?;
    let (requested, report) = job(&stack.db).await?;
    let job = requested.job;
    let runner = RunnerUuid::new();
    let life = lifecycle(job, report, runner);
    let mut status = stack
        .ctx
        .nats
        .subscribe(stack.ctx.subjects().status(job))
        .await?;

    // Published in a scrambled order, then earlier events again (as redeliveries with new ids,
    // so they sit later in the stream): the status must end at `processed` all the same.
    let order: [&JobEventMessage; 7] = [
        &life[2], &life[0], &life[1], &requested, &life[3], &life[4], &life[5],
    ];
    let mut last = 0;
    for event in order {
        last = stack.publish(event, &event.msg_id()).await?;
    }
    let processed_seq = last;
    for (i, event) in [&life[1], &life[2], &requested, &life[4]]
        .into_iter()
        .enumerate()
    {
        last = stack.publish(event, &format!("again-{i}")).await?;
    }

    let snapshot = stack.wait_for(job, processed_seq).await?;
    // Let the late copies be handled too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let snapshot_after = stack.snapshot(job).await?.context("snapshot")?;
    assert_eq!(snapshot_after, snapshot, "late events moved the status");
    assert!(last > processed_seq);
    assert_eq!(snapshot.status, JobStatus::Processed);
    assert_eq!(snapshot.sequence, processed_seq);
    assert_eq!(snapshot.report, report);
    assert_eq!(snapshot.job, job);

    // Every snapshot republished on status.<job> moved forward.
    let mut seen: Vec<JobStatusSnapshot> = Vec::new();
    while let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(300), status.next()).await
    {
        seen.push(serde_json::from_slice(&msg.payload)?);
    }
    assert!(!seen.is_empty());
    assert_eq!(seen.last().unwrap(), &snapshot);
    for pair in seen.windows(2) {
        assert!(pair[1].sequence > pair[0].sequence, "{seen:#?}");
        let (a, b) = (pair[0].status, pair[1].status);
        // Forward on the happy path (skips allowed), or a move the state machine allows.
        let rank = |s| JobStatus::ALL[..6].iter().position(|x| *x == s);
        let forward = matches!((rank(a), rank(b)), (Some(x), Some(y)) if y > x);
        assert!(
            a == b || forward || a.can_transition_to(b, pair[0].failure.as_ref()),
            "{a} -> {b}"
        );
    }
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_late_watcher_gets_the_current_state_then_changes() -> Result<()> {
    let stack = Stack::start(1).await?;
    let (requested, report) = job(&stack.db).await?;
    let job = requested.job;
    let runner = RunnerUuid::new();
    let life = lifecycle(job, report, runner);
    stack.publish(&requested, &requested.msg_id()).await?;
    for event in &life[..3] {
        stack.publish(event, &event.msg_id()).await?;
    }
    let running_seq = stack
        .ctx
        .js
        .get_stream(stack.ctx.topology.events_stream().name)
        .await?
        .info()
        .await?
        .state
        .last_sequence;
    stack.wait_for(job, running_seq).await?;

    let mut watch = stack.kv.watch_with_history(job.to_string()).await?;
    let first = watch.next().await.context("watch ended")??;
    let current: JobStatusSnapshot = serde_json::from_slice(&first.value)?;
    assert_eq!(
        (current.status, current.runner),
        (JobStatus::Running, Some(runner))
    );
    assert_eq!((current.attempt, current.sequence), (1, running_seq));

    let failed = JobEventMessage::new(
        job,
        JobEvent::Failed {
            stage: FailureStage::Run,
            reason: FailureReason::ExitCode { exit_code: 2 },
            runner: Some(runner),
            attempt: Some(1),
            results: Vec::new(),
        },
    );
    let failed_seq = stack.publish(&failed, &failed.msg_id()).await?;
    let next = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await?
        .context("watch ended")??;
    let next: JobStatusSnapshot = serde_json::from_slice(&next.value)?;
    assert_eq!(next.status, JobStatus::Failed);
    assert_eq!(next.sequence, failed_seq);
    assert_eq!(next.exit_code, Some(2));
    assert_eq!(
        next.reason().as_deref(),
        Some("the benchmark exited with code 2")
    );
    assert_eq!(next.report, report);
    stack.stop().await
}
