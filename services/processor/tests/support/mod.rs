//! A real nats-server with the topology provisioned, the processor running in-process on a
//! test database, and fixtures for reports, jobs and their events.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bencher_db::DatabaseConnection;
use bencher_db::entities::{branch, job, project, report, testbed};
use bencher_db::queries::job::{NewJob, NewReport, create_report_with_job};
use bencher_db::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use bencher_db::types::Visibility;
use bencher_processor::ProcessorError;
use bencher_runtime::{Config, Metrics, ServiceContext, Shutdown, provision, publish_deduplicated};
use bencher_testkit::nats::NatsServer;
use bencher_wire::ids::{JobUuid, ReportUuid, RunnerUuid};
use bencher_wire::msg::{IterationResult, JobConfig, JobEvent, JobEventMessage, OutputRef};
use bencher_wire::{Priority, Slug};
use bytes::Bytes;
use chrono::{DateTime, Duration as ChronoDuration, DurationRound, Utc};
use futures::StreamExt;
use serde::Serialize;
use tokio::task::JoinHandle;

/// How long a test waits for an event.
pub const WAIT: Duration = Duration::from_secs(20);

/// nats-server, the provisioned topology and a running processor.
pub struct Stack {
    pub nats: NatsServer,
    pub ctx: ServiceContext,
    pub events: async_nats::Subscriber,
    shutdown: Shutdown,
    task: JoinHandle<Result<(), ProcessorError>>,
}

impl Stack {
    /// Start nats-server, provision, subscribe to every event, start the processor on `db`.
    pub async fn start(db: DatabaseConnection) -> anyhow::Result<Stack> {
        let nats = NatsServer::start().await?;
        let mut config = Config::default();
        config.nats.urls = vec![nats.url()];
        let client = async_nats::connect(nats.url()).await?;
        let ctx = ServiceContext::new(Arc::new(config), client.clone(), Metrics::new())?;
        provision(&ctx.js, &ctx.topology).await?;
        let events = client.subscribe(ctx.subjects().events_wildcard()).await?;
        client.flush().await?;
        let shutdown = Shutdown::new();
        let task = tokio::spawn(bencher_processor::run(ctx.clone(), db, shutdown.clone()));
        Ok(Stack {
            nats,
            ctx,
            events,
            shutdown,
            task,
        })
    }

    /// Publish an event to the events stream with `msg_id`.
    pub async fn publish<T: Serialize>(
        &self,
        subject: &str,
        msg_id: &str,
        message: &T,
    ) -> anyhow::Result<()> {
        let payload = Bytes::from(serde_json::to_vec(message)?);
        let published = publish_deduplicated(&self.ctx.js, subject, msg_id, payload, None).await?;
        anyhow::ensure!(!published.duplicate, "{msg_id} was a duplicate");
        Ok(())
    }

    /// Publish a job event with its own msg id.
    pub async fn publish_job(&self, event: &JobEventMessage) -> anyhow::Result<()> {
        self.publish(&event.subject(self.ctx.subjects()), &event.msg_id(), event)
            .await
    }

    /// The next event published on `subject` (others are skipped), as JSON.
    pub async fn next_on(&mut self, subject: &str) -> anyhow::Result<serde_json::Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.events.next())
                .await
                .with_context(|| format!("no event on {subject} within {WAIT:?}"))?
                .context("subscription closed")?;
            if msg.subject.as_str() == subject {
                return Ok(serde_json::from_slice(&msg.payload)?);
            }
        }
    }

    /// How many messages the events stream holds on `subject`.
    pub async fn stored_on(&self, subject: &str) -> anyhow::Result<usize> {
        let stream = self
            .ctx
            .js
            .get_stream(self.ctx.topology.events_stream().name)
            .await?;
        let mut subjects = stream.info_with_subjects(subject).await?;
        let mut count = 0;
        while let Some(entry) = subjects.next().await {
            let (name, n) = entry?;
            if name == subject {
                count += n;
            }
        }
        Ok(count)
    }

    /// Stop the processor and check it ended cleanly.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        match tokio::time::timeout(WAIT, self.task).await {
            Ok(joined) => joined?.map_err(anyhow::Error::from),
            Err(_) => bail!("processor did not stop"),
        }
    }
}

/// A project with a branch and testbed.
pub struct Fixture {
    pub project: project::Model,
    pub branch: branch::Model,
    pub testbed: testbed::Model,
    pub organization_id: i64,
}

pub fn slug(s: &str) -> Slug {
    s.parse().unwrap()
}

pub async fn fixture(db: &DatabaseConnection, name: &str) -> anyhow::Result<Fixture> {
    let org = get_or_create_organization(db, &slug(name), name, Priority::Free).await?;
    let project =
        get_or_create_project(db, org.id, &slug(name), name, Visibility::Public, false).await?;
    let branch = get_or_create_branch(db, project.id, &slug("main"), "main").await?;
    let testbed = get_or_create_testbed(db, project.id, &slug("ci"), "ci").await?;
    Ok(Fixture {
        project,
        branch,
        testbed,
        organization_id: org.id,
    })
}

/// Now, at the microsecond precision both backends store.
pub fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(ChronoDuration::microseconds(1))
        .unwrap()
}

fn new_report(f: &Fixture, start: DateTime<Utc>, adapter: &str) -> NewReport {
    NewReport {
        uuid: ReportUuid::new(),
        project_id: f.project.id,
        branch_id: f.branch.id,
        testbed_id: f.testbed.id,
        hash: None,
        start_time: start,
        end_time: start,
        adapter: adapter.to_owned(),
        average: None,
        fold: None,
        results_ref: None,
    }
}

/// A local-flow report (no job) started at `start`.
pub async fn local_report(
    db: &DatabaseConnection,
    f: &Fixture,
    start: DateTime<Utc>,
    adapter: &str,
) -> anyhow::Result<report::Model> {
    Ok(
        create_report_with_job(db, new_report(f, start, adapter), None)
            .await?
            .0,
    )
}

/// An image run: its report (adapter `json`) and job with `config`.
pub async fn image_run(
    db: &DatabaseConnection,
    f: &Fixture,
    config: &JobConfig,
) -> anyhow::Result<(report::Model, job::Model)> {
    let new_job = NewJob {
        uuid: JobUuid::new(),
        organization_id: f.organization_id,
        priority: Priority::Free,
        image: "127.0.0.1:5000/bench:v1".to_owned(),
        config: serde_json::to_value(config)?,
        timeout: 60,
        source_ip: None,
    };
    let (report, job) =
        create_report_with_job(db, new_report(f, now(), "json"), Some(new_job)).await?;
    Ok((report, job.context("no job created")?))
}

/// One iteration that exited with `exit_code` and printed `stdout`.
pub fn iteration(exit_code: i32, stdout: OutputRef) -> IterationResult {
    IterationResult {
        exit_code,
        stdout,
        stderr: OutputRef::inline("some stderr"),
        wall_time_ns: 1_500_000_000,
        ..IterationResult::default()
    }
}

/// The runner's `completed` event for `job`.
pub fn completed(job: &job::Model, results: Vec<IterationResult>) -> JobEventMessage {
    let mut event = JobEventMessage::new(
        JobUuid::from(job.uuid),
        JobEvent::Completed {
            runner: RunnerUuid::new(),
            attempt: 1,
            results,
        },
    );
    event.at = now();
    event
}

/// A BMF document with one latency value per `(benchmark, value)`.
pub fn bmf(values: &[(&str, f64)]) -> String {
    let doc: serde_json::Map<String, serde_json::Value> = values
        .iter()
        .map(|(name, value)| {
            (
                (*name).to_owned(),
                serde_json::json!({"latency": {"value": value}}),
            )
        })
        .collect();
    serde_json::Value::Object(doc).to_string()
}
