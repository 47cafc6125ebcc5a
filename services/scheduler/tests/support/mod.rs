//! A real nats-server and database with the scheduler running in-process; the test plays the
//! resolver, the runners and the users by publishing their events.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use bencher_db::DatabaseConnection;
use bencher_db::queries::job::{NewJob, NewReport, create_report_with_job, job_by_uuid};
use bencher_db::queries::scheduler::{job_context, job_schedule};
use bencher_db::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use bencher_db::types::Visibility;
use bencher_runtime::{Config, Metrics, ServiceContext, Shutdown, provision, provision_dispatch};
use bencher_scheduler::SchedulerOptions;
use bencher_testkit::db::{Backend, TestDb};
use bencher_testkit::nats::NatsServer;
use bencher_wire::ids::{JobUuid, ReportUuid, RunnerUuid};
use bencher_wire::msg::{JobControlMessage, JobEvent, JobEventMessage, RunJob};
use bencher_wire::nats::Topology;
use bencher_wire::status::JobStatus;
use bencher_wire::{Priority, Slug};
use chrono::Utc;
use futures::StreamExt;
use serde_json::json;
use tokio::task::JoinHandle;

pub const SPEC: &str = "default";

pub struct Harness {
    pub nats: NatsServer,
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub topo: Topology,
    pub db: TestDb,
    pub shutdown: Shutdown,
    schedulers: Vec<JoinHandle<()>>,
}

/// Short timings so liveness and timeouts show within seconds.
pub fn fast_options() -> SchedulerOptions {
    SchedulerOptions {
        heartbeat_timeout: Duration::from_secs(2),
        grace: Duration::from_secs(1),
        sweep_interval: Duration::from_millis(200),
        cancel_confirm: Duration::from_secs(1),
        heartbeat_write_interval: Duration::from_millis(300),
        republish_after: Duration::from_secs(1),
        ..SchedulerOptions::default()
    }
}

impl Harness {
    pub async fn start(backend: Backend) -> Harness {
        let nats = NatsServer::start().await.unwrap();
        let client = async_nats::connect(nats.url()).await.unwrap();
        let js = jetstream::new(client.clone());
        let topo = Config::default().topology().unwrap();
        provision(&js, &topo).await.unwrap();
        let db = TestDb::new(backend).await.unwrap();
        println!("backend={}", db.backend());
        Harness {
            nats,
            client,
            js,
            topo,
            db,
            shutdown: Shutdown::new(),
            schedulers: Vec::new(),
        }
    }

    pub fn conn(&self) -> &DatabaseConnection {
        self.db.conn()
    }

    /// Starts one more scheduler instance with its own NATS connection and database pool.
    pub async fn spawn_scheduler(&mut self, options: SchedulerOptions) {
        self.spawn_scheduler_with(options, Config::default()).await;
    }

    /// Starts a scheduler with a given configuration (e.g. registry auth on).
    pub async fn spawn_scheduler_with(&mut self, options: SchedulerOptions, config: Config) {
        let client = async_nats::connect(self.nats.url()).await.unwrap();
        let ctx = ServiceContext::new(Arc::new(config), client, Metrics::new()).unwrap();
        let db = bencher_db::connect(self.db.url()).await.unwrap();
        let shutdown = self.shutdown.clone();
        self.schedulers.push(tokio::spawn(async move {
            bencher_scheduler::run_with(ctx, db, options, shutdown)
                .await
                .unwrap();
        }));
    }

    pub async fn stop(mut self) {
        self.shutdown.trigger();
        for task in self.schedulers.drain(..) {
            tokio::time::timeout(Duration::from_secs(15), task)
                .await
                .expect("scheduler did not stop")
                .unwrap();
        }
        self.db.cleanup().await.unwrap();
    }

    /// An organization (with project, branch, testbed) of tier `priority`.
    pub async fn org(&self, slug: &str, priority: Priority) -> Org {
        let db = self.conn();
        let s: Slug = slug.parse().unwrap();
        let organization = get_or_create_organization(db, &s, slug, priority)
            .await
            .unwrap();
        let project =
            get_or_create_project(db, organization.id, &s, slug, Visibility::Public, true)
                .await
                .unwrap();
        let branch = get_or_create_branch(db, project.id, &"main".parse().unwrap(), "main")
            .await
            .unwrap();
        let testbed = get_or_create_testbed(db, project.id, &"ci".parse().unwrap(), "ci")
            .await
            .unwrap();
        Org {
            organization_id: organization.id,
            project_id: project.id,
            branch_id: branch.id,
            testbed_id: testbed.id,
            priority,
        }
    }

    /// A requested job of `org`.
    pub async fn job(&self, org: &Org, source_ip: Option<&str>) -> JobUuid {
        let uuid = JobUuid::new();
        let now = Utc::now();
        let report = NewReport {
            uuid: ReportUuid::new(),
            project_id: org.project_id,
            branch_id: org.branch_id,
            testbed_id: org.testbed_id,
            hash: None,
            start_time: now,
            end_time: now,
            adapter: "json".into(),
            average: None,
            fold: None,
            results_ref: None,
        };
        let job = NewJob {
            uuid,
            organization_id: org.organization_id,
            priority: org.priority,
            image: "127.0.0.1:5000/bench:v1".into(),
            config: json!({"cmd": ["./bench"], "iter": 2, "file_paths": ["/tmp/out.json"]}),
            timeout: 60,
            source_ip: source_ip.map(str::to_owned),
        };
        create_report_with_job(self.conn(), report, Some(job))
            .await
            .unwrap();
        uuid
    }

    /// Publishes an event as its real publisher would (wire `Nats-Msg-Id`).
    pub async fn publish(&self, job: JobUuid, event: JobEvent) {
        let msg = JobEventMessage::new(job, event);
        self.publish_with_id(&msg, &msg.msg_id()).await;
    }

    /// Publishes `msg` with an explicit `Nats-Msg-Id` (a different one replays an event).
    pub async fn publish_with_id(&self, msg: &JobEventMessage, id: &str) {
        bencher_runtime::publish_deduplicated(
            &self.js,
            &msg.subject(self.topo.subjects()),
            id,
            serde_json::to_vec(msg).unwrap().into(),
            None,
        )
        .await
        .unwrap();
    }

    /// The resolver's `resolved` for `job`.
    pub async fn resolve(&self, job: JobUuid, priority: Priority, timeout: u64) {
        self.publish(job, resolved(priority, timeout)).await;
    }

    pub async fn status(&self, job: JobUuid) -> JobStatus {
        let row = job_by_uuid(self.conn(), job).await.unwrap().unwrap();
        bencher_db::parse_job_status(&row.status).unwrap()
    }

    pub async fn schedule(&self, job: JobUuid) -> Option<job_schedule::Model> {
        job_context(self.conn(), job)
            .await
            .unwrap()
            .unwrap()
            .schedule
    }

    /// Waits until `job` has `status`.
    pub async fn wait_status(&self, job: JobUuid, status: JobStatus, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let now = self.status(job).await;
            if now == status {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {job} is {now}, not {status} after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A runner's view of `dispatch.<spec>.<tier>`.
    pub async fn runner_queue(&self, tier: Priority) -> PullConsumer {
        let spec: Slug = SPEC.parse().unwrap();
        provision_dispatch(&self.js, &self.topo, &spec, &[tier])
            .await
            .unwrap();
        let def = self.topo.dispatch_consumer(&spec, tier);
        self.js
            .get_stream(&def.stream)
            .await
            .unwrap()
            .get_consumer(&def.durable)
            .await
            .unwrap()
    }

    /// Subscribes to the timeline of `job` (core subscription on the events' subjects).
    pub async fn timeline(&self, job: JobUuid) -> async_nats::Subscriber {
        let sub = self
            .client
            .subscribe(self.topo.subjects().job_timeline(job))
            .await
            .unwrap();
        self.client.flush().await.unwrap();
        sub
    }

    /// Subscribes to the control subject of `job`.
    pub async fn control(&self, job: JobUuid) -> async_nats::Subscriber {
        let sub = self
            .client
            .subscribe(self.topo.subjects().job_control(job))
            .await
            .unwrap();
        self.client.flush().await.unwrap();
        sub
    }

    /// Plays the runner of `job`: claimed then running.
    pub async fn start_running(&self, job: JobUuid, runner: RunnerUuid) {
        self.publish(job, JobEvent::Claimed { runner, attempt: 1 })
            .await;
        self.publish(
            job,
            JobEvent::Running {
                runner,
                attempt: 1,
                iteration: None,
            },
        )
        .await;
        self.wait_status(job, JobStatus::Running, Duration::from_secs(5))
            .await;
    }

    /// Plays the runner finishing `job` with exit code 0.
    pub async fn complete(&self, job: JobUuid, runner: RunnerUuid) {
        self.publish(job, completed(runner)).await;
    }
}

/// An organization's fixture rows.
pub struct Org {
    pub organization_id: i64,
    pub project_id: i64,
    pub branch_id: i64,
    pub testbed_id: i64,
    pub priority: Priority,
}

pub fn resolved(priority: Priority, timeout: u64) -> JobEvent {
    serde_json::from_value(json!({
        "event": "resolved",
        "image": format!("127.0.0.1:5000/bench@sha256:{}", "ab".repeat(32)),
        "registry": "127.0.0.1:5000",
        "registry_plain_http": true,
        "spec": {
            "uuid": "0191c2a4-0000-7000-8000-000000000040",
            "name": "Default",
            "slug": SPEC,
            "architecture": "x86_64",
            "cpu": 1,
            "memory": 1_073_741_824u64,
            "disk": 1_073_741_824u64,
            "network": false,
            "default": true
        },
        "priority": priority,
        "timeout": timeout,
    }))
    .unwrap()
}

pub fn completed(runner: RunnerUuid) -> JobEvent {
    serde_json::from_value(json!({
        "event": "completed",
        "runner": runner,
        "attempt": 1,
        "results": [{
            "exit_code": 0,
            "stdout": {"kind": "inline", "text": "{}"},
            "stderr": {"kind": "inline", "text": ""},
            "wall_time_ns": 1000
        }],
    }))
    .unwrap()
}

/// The next run command on `queue` within `within` (acknowledged, as a runner would once done).
pub async fn next_run(queue: &PullConsumer, within: Duration) -> Option<RunJob> {
    let mut batch = queue
        .fetch()
        .max_messages(1)
        .expires(within)
        .messages()
        .await
        .unwrap();
    let msg = batch.next().await?.unwrap();
    msg.double_ack().await.unwrap();
    Some(serde_json::from_slice(&msg.payload).unwrap())
}

/// The next event on a timeline subscription of kind `kind`, skipping others.
pub async fn next_event(
    sub: &mut async_nats::Subscriber,
    kind: bencher_wire::nats::JobEventKind,
    within: Duration,
) -> JobEventMessage {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = tokio::time::timeout_at(deadline, sub.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} event within {within:?}"))
            .unwrap();
        let event: JobEventMessage = serde_json::from_slice(&msg.payload).unwrap();
        if event.kind() == kind {
            return event;
        }
    }
}

/// The next control message within `within`.
pub async fn next_control(sub: &mut async_nats::Subscriber, within: Duration) -> JobControlMessage {
    let msg = tokio::time::timeout(within, sub.next())
        .await
        .unwrap_or_else(|_| panic!("no control message within {within:?}"))
        .unwrap();
    serde_json::from_slice(&msg.payload).unwrap()
}
