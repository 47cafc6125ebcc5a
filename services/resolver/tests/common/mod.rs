//! A resolver in-process against a real nats-server and a real SQLite database, plus fixtures:
//! organizations per tier, specs, jobs, and `job.requested` events as intake publishes them.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use async_nats::Subscriber;
use bencher_db::DatabaseConnection;
use bencher_db::entities::{job, organization, spec, testbed};
use bencher_db::queries::job::{NewJob, NewReport, create_report_with_job, job_by_uuid};
use bencher_db::queries::spec::{NewSpec, upsert_default_spec};
use bencher_db::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use bencher_db::types::Visibility;
use bencher_resolver::ResolverError;
use bencher_runtime::provision::ensure_consumer;
use bencher_runtime::{Config, Metrics, ServiceContext, Shutdown, provision, publish_deduplicated};
use bencher_testkit::db::TestDb;
use bencher_testkit::nats::{NatsServer, free_port};
use bencher_wire::ids::{JobUuid, ReportUuid};
use bencher_wire::msg::{JobEvent, JobEventMessage};
use bencher_wire::nats::{ConsumerDef, JobEventKind, ServiceConsumer};
use bencher_wire::{Priority, Slug};
use futures::StreamExt;
use serde_json::json;
use tokio::task::JoinHandle;

/// nats-server, SQLite and a running resolver.
pub struct Stack {
    pub ctx: ServiceContext,
    pub db: DatabaseConnection,
    pub def: ConsumerDef,
    shutdown: Shutdown,
    task: Option<JoinHandle<Result<(), ResolverError>>>,
    _test_db: TestDb,
    _nats: NatsServer,
}

impl Stack {
    /// A resolver on its own durable consumer, allowing `allow`.
    pub async fn start(allow: &[String]) -> Result<Self> {
        Self::start_with(allow, |def| def).await
    }

    /// A resolver whose consumer definition `tune` adjusts (e.g. a small `max_deliver`).
    pub async fn start_with(
        allow: &[String],
        tune: impl FnOnce(ConsumerDef) -> ConsumerDef,
    ) -> Result<Self> {
        let nats = NatsServer::start().await?;
        let test_db = TestDb::sqlite().await?;
        let mut config = Config::default();
        config.nats.urls = vec![nats.url()];
        config.registries.allow = allow.to_vec();
        config.http.listen = format!("127.0.0.1:{}", free_port()?).parse()?;
        let client = async_nats::connect(nats.url()).await?;
        let ctx = ServiceContext::new(Arc::new(config), client, Metrics::new())?;
        provision(&ctx.js, &ctx.topology).await?;
        let mut def = tune(ctx.topology.service_consumer(ServiceConsumer::Resolver));
        def.durable = format!("{}_test", def.durable);
        ensure_consumer(&ctx.js, &def).await?;
        let shutdown = Shutdown::new();
        let task = tokio::spawn(bencher_resolver::run_with(
            ctx.clone(),
            test_db.conn().clone(),
            def.clone(),
            shutdown.clone(),
        ));
        Ok(Self {
            ctx,
            db: test_db.conn().clone(),
            def,
            shutdown,
            task: Some(task),
            _test_db: test_db,
            _nats: nats,
        })
    }

    /// Stops the resolver and returns what `run_with` returned.
    pub async fn stop(mut self) -> Result<()> {
        self.shutdown.trigger();
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }

    /// Subscribes to every event of `job` (before it is requested, so nothing is missed).
    pub async fn watch(&self, job: JobUuid) -> Result<Subscriber> {
        Ok(self
            .ctx
            .nats
            .subscribe(self.ctx.subjects().job_timeline(job))
            .await?)
    }

    /// Publishes `event` with `msg_id` (its own, or another to simulate a redelivery); returns
    /// its stream sequence.
    pub async fn publish(&self, event: &JobEventMessage, msg_id: &str) -> Result<u64> {
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

    /// Waits until the resolver's consumer has acknowledged everything up to `sequence`.
    pub async fn wait_acked(&self, sequence: u64) -> Result<()> {
        let stream = self.ctx.js.get_stream(&self.def.stream).await?;
        for _ in 0..300 {
            let info = stream.consumer_info(&self.def.durable).await?;
            if info.ack_floor.stream_sequence >= sequence && info.num_ack_pending == 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("sequence {sequence} not acknowledged")
    }

    /// How many events of `kind` the events stream holds for `job`.
    pub async fn count(&self, job: JobUuid, kind: JobEventKind) -> Result<u64> {
        let stream = self.ctx.js.get_stream(&self.def.stream).await?;
        let subject = self.ctx.subjects().job_event(job, kind);
        let mut info = stream.info_with_subjects(&subject).await?;
        let mut total = 0;
        while let Some(entry) = info.next().await {
            let (_, count) = entry?;
            total += count;
        }
        Ok(total as u64)
    }

    pub async fn job(&self, job: JobUuid) -> Result<job::Model> {
        job_by_uuid(&self.db, job).await?.context("job row")
    }
}

/// Waits for the job's `resolved` or `failed` event.
pub async fn outcome(events: &mut Subscriber) -> Result<JobEventMessage> {
    let deadline = Duration::from_secs(60);
    loop {
        let msg = tokio::time::timeout(deadline, events.next())
            .await
            .context("no resolved or failed event in time")?
            .context("subscription ended")?;
        let event: JobEventMessage = serde_json::from_slice(&msg.payload)?;
        if matches!(
            event.event,
            JobEvent::Resolved { .. } | JobEvent::Failed { .. }
        ) {
            return Ok(event);
        }
    }
}

pub fn slug(s: &str) -> Slug {
    s.parse().expect("slug")
}

/// An organization of `tier` with a project, a branch and testbed `ci`.
pub struct Tenant {
    pub organization: organization::Model,
    pub project_id: i64,
    pub project_uuid: uuid::Uuid,
    pub branch_id: i64,
    pub testbed: testbed::Model,
}

pub async fn tenant(db: &DatabaseConnection, name: &str, tier: Priority) -> Result<Tenant> {
    let organization = get_or_create_organization(db, &slug(name), name, tier).await?;
    let project = get_or_create_project(
        db,
        organization.id,
        &slug(name),
        name,
        Visibility::Public,
        tier != Priority::Unclaimed,
    )
    .await?;
    let branch = get_or_create_branch(db, project.id, &slug("main"), "main").await?;
    let testbed = get_or_create_testbed(db, project.id, &slug("ci"), "ci").await?;
    Ok(Tenant {
        organization,
        project_id: project.id,
        project_uuid: project.uuid,
        branch_id: branch.id,
        testbed,
    })
}

/// Makes `slug` the default spec (x86_64, 2 CPUs); the previous default stops being one.
pub async fn default_spec(db: &DatabaseConnection, slug_text: &str) -> Result<spec::Model> {
    Ok(upsert_default_spec(
        db,
        NewSpec {
            slug: slug(slug_text),
            name: slug_text.to_owned(),
            architecture: "x86_64".to_owned(),
            cpu: 2,
            memory: 1 << 30,
            disk: 1 << 30,
            network: false,
        },
    )
    .await?)
}

/// Creates a report and job for `image` as intake does, and the `requested` event for it.
/// `priority` is what the event claims (the resolver must take the organization's instead).
pub async fn request(
    db: &DatabaseConnection,
    tenant: &Tenant,
    image: &str,
    spec: Option<&str>,
    timeout: Option<u32>,
    priority: Priority,
) -> Result<JobEventMessage> {
    let job = JobUuid::new();
    let report = ReportUuid::new();
    let now = chrono::Utc::now();
    create_report_with_job(
        db,
        NewReport {
            uuid: report,
            project_id: tenant.project_id,
            branch_id: tenant.branch_id,
            testbed_id: tenant.testbed.id,
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
            organization_id: tenant.organization.id,
            priority,
            image: image.to_owned(),
            config: json!({}),
            timeout: i32::try_from(timeout.unwrap_or(60))?,
            source_ip: None,
        }),
    )
    .await?;
    let mut event = json!({
        "schema": "bencher.v1",
        "job": job,
        "at": now,
        "event": "requested",
        "report": report,
        "project": tenant.project_uuid,
        "organization": tenant.organization.uuid,
        "testbed": tenant.testbed.uuid,
        "priority": priority,
        "image": image,
        "settings": { "adapter": "json" },
        "config": {},
    });
    if let Some(spec) = spec {
        event["spec"] = json!(spec);
    }
    if let Some(timeout) = timeout {
        event["timeout"] = json!(timeout);
    }
    Ok(serde_json::from_value(event)?)
}
