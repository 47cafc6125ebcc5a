//! What tests observe, without going through the product's own clients:
//!
//! - [`EventLog`]: every job event of the events stream, from its first message on (an
//!   ordered consumer of its own), with the stream's timestamp of each; tests await events
//!   instead of sleeping.
//! - Database rows: a job's row, all jobs, metrics and benchmark runs of a report, an
//!   organization of a given tier.
//! - Consumer progress ([`Sandbox::wait_consumer_done`]) and replays of stored events
//!   ([`Sandbox::replay`]) — what JetStream redelivers after a service died between its
//!   database commit and its ack.

use std::time::Duration;

use anyhow::Context;
use async_nats::HeaderMap;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::{Ordered, OrderedConfig};
use async_nats::jetstream::{self, Context as JetStream};
use bencher_db::entities::{job, metric, organization, project, report, report_benchmark};
use bencher_db::queries::tenancy::{get_or_create_organization, get_or_create_project};
use bencher_db::types::Visibility;
use bencher_wire::ids::JobUuid;
use bencher_wire::msg::JobEventMessage;
use bencher_wire::nats::{JobEventKind, Topology};
use bencher_wire::{Priority, Slug};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use tokio::time::Instant;

use crate::Sandbox;
use crate::services::Service;

/// One job event as the events stream holds it.
#[derive(Clone, Debug)]
pub struct SeenEvent {
    /// The decoded message.
    pub message: JobEventMessage,
    /// When the stream stored it (the server's clock).
    pub stored: DateTime<Utc>,
    /// Its stream sequence.
    pub sequence: u64,
    /// Its subject.
    pub subject: String,
    /// Its payload as published.
    pub payload: Vec<u8>,
}

impl SeenEvent {
    /// The event's kind.
    pub fn kind(&self) -> JobEventKind {
        self.message.kind()
    }

    /// The job.
    pub fn job(&self) -> JobUuid {
        self.message.job
    }
}

/// Every job event of the sandbox, read in stream order from the first one.
pub struct EventLog {
    messages: Ordered,
    stream: jetstream::stream::Stream,
    topology: Topology,
    seen: Vec<SeenEvent>,
    read_up_to: u64,
    _client: async_nats::Client,
}

impl EventLog {
    /// Everything read so far.
    pub fn seen(&self) -> &[SeenEvent] {
        &self.seen
    }

    /// The events of `job` read so far, in stream order.
    pub fn of_job(&self, job: JobUuid) -> Vec<&SeenEvent> {
        self.seen.iter().filter(|e| e.job() == job).collect()
    }

    /// The first event (already read or still to come) matching `predicate`, waiting at most
    /// `within` for it.
    pub async fn wait_for(
        &mut self,
        within: Duration,
        mut predicate: impl FnMut(&SeenEvent) -> bool,
    ) -> anyhow::Result<SeenEvent> {
        if let Some(found) = self.seen.iter().find(|e| predicate(e)) {
            return Ok(found.clone());
        }
        let deadline = Instant::now() + within;
        loop {
            if let Some(seen) = self
                .read_one(deadline)
                .await
                .with_context(|| format!("no matching event within {within:?}"))?
                && predicate(&seen)
            {
                return Ok(seen);
            }
        }
    }

    /// Reads every event the stream holds right now (e.g. before checking that something
    /// did not happen).
    pub async fn catch_up(&mut self, within: Duration) -> anyhow::Result<()> {
        let last = self.stream.info().await?.state.last_sequence;
        let deadline = Instant::now() + within;
        while self.read_up_to < last {
            self.read_one(deadline)
                .await
                .with_context(|| format!("not caught up with sequence {last} in {within:?}"))?;
        }
        Ok(())
    }

    /// Reads the next message; returns it when it is a job event.
    async fn read_one(&mut self, deadline: Instant) -> anyhow::Result<Option<SeenEvent>> {
        let msg = match tokio::time::timeout_at(deadline, self.messages.next()).await? {
            Some(Ok(msg)) => msg,
            Some(Err(e)) => {
                // The ordered consumer recreates itself (e.g. after a server restart).
                tracing::warn!(error = %e, "event log interrupted");
                return Ok(None);
            }
            None => anyhow::bail!("the event log ended"),
        };
        let info = msg
            .info()
            .map_err(|e| anyhow::anyhow!("message info: {e}"))?;
        self.read_up_to = self.read_up_to.max(info.stream_sequence);
        let subject = msg.subject.to_string();
        if !self.topology.subjects().is_job_event(&subject) {
            return Ok(None);
        }
        let stored = DateTime::from_timestamp_nanos(
            i64::try_from(info.published.unix_timestamp_nanos()).unwrap_or(i64::MAX),
        );
        let seen = SeenEvent {
            message: serde_json::from_slice(&msg.payload)
                .with_context(|| format!("decoding the event on {subject}"))?,
            stored,
            sequence: info.stream_sequence,
            subject,
            payload: msg.payload.to_vec(),
        };
        self.seen.push(seen.clone());
        Ok(Some(seen))
    }

    /// How many `kind` events of `job` were read.
    pub fn count(&self, job: JobUuid, kind: JobEventKind) -> usize {
        self.seen
            .iter()
            .filter(|e| e.job() == job && e.kind() == kind)
            .count()
    }

    /// The event `kind` of `job`, waiting at most `within`.
    pub async fn wait_event(
        &mut self,
        job: JobUuid,
        kind: JobEventKind,
        within: Duration,
    ) -> anyhow::Result<SeenEvent> {
        self.wait_for(within, |e| e.job() == job && e.kind() == kind)
            .await
            .with_context(|| format!("waiting for {kind} of job {job}"))
    }

    /// The first terminal event of `job` (`processed`, `failed` or `canceled`).
    pub async fn wait_end(&mut self, job: JobUuid, within: Duration) -> anyhow::Result<SeenEvent> {
        self.wait_for(within, |e| {
            e.job() == job
                && matches!(
                    e.kind(),
                    JobEventKind::Processed | JobEventKind::Failed | JobEventKind::Canceled
                )
        })
        .await
        .with_context(|| format!("waiting for job {job} to end"))
    }
}

/// Metric rows of one report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredResults {
    /// `report_benchmark` rows (one per iteration and benchmark).
    pub benchmark_runs: u64,
    /// `metric` rows.
    pub metrics: u64,
    /// Distinct iterations among the benchmark runs.
    pub iterations: u64,
}

impl Sandbox {
    /// A JetStream context on a connection of its own.
    pub async fn jetstream(&self) -> anyhow::Result<JetStream> {
        let client = async_nats::connect(self.nats.url()).await?;
        Ok(jetstream::new(client))
    }

    /// The NATS topology the sandbox runs with.
    pub fn topology(&self) -> anyhow::Result<Topology> {
        Ok(self.config.topology()?)
    }

    /// A log of every job event, from the stream's first message on.
    pub async fn events(&self) -> anyhow::Result<EventLog> {
        let client = async_nats::connect(self.nats.url()).await?;
        let js = jetstream::new(client.clone());
        let topology = self.topology()?;
        let stream = js
            .get_stream(topology.events_stream().name)
            .await
            .context("the events stream")?;
        let messages = stream
            .create_consumer(OrderedConfig {
                filter_subject: topology.subjects().events_wildcard(),
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .context("an ordered consumer on the events stream")?
            .messages()
            .await?;
        Ok(EventLog {
            messages,
            stream,
            topology,
            seen: Vec::new(),
            read_up_to: 0,
            _client: client,
        })
    }

    /// Publish a stored event again (same subject and payload, a new `Nats-Msg-Id`), as
    /// JetStream redelivers a message whose consumer died before acknowledging it. Returns the
    /// copy's stream sequence.
    pub async fn replay(&self, event: &SeenEvent) -> anyhow::Result<u64> {
        let js = self.jetstream().await?;
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("replay:{}", event.sequence).as_str());
        let ack = js
            .publish_with_headers(event.subject.clone(), headers, event.payload.clone().into())
            .await?
            .await?;
        anyhow::ensure!(!ack.duplicate, "the replay was dropped as a duplicate");
        Ok(ack.sequence)
    }

    /// Waits until `service`'s durable consumer has delivered and acknowledged everything up
    /// to stream sequence `sequence`, with nothing pending.
    pub async fn wait_consumer_done(
        &self,
        service: Service,
        sequence: u64,
        within: Duration,
    ) -> anyhow::Result<()> {
        let js = self.jetstream().await?;
        let topology = self.topology()?;
        let def = topology.service_consumer(service.consumer());
        let stream = js.get_stream_no_info(&def.stream).await?;
        let deadline = Instant::now() + within;
        loop {
            let info = stream.consumer_info(&def.durable).await?;
            let done = info.ack_floor.stream_sequence >= sequence
                && info.num_ack_pending == 0
                && info.num_pending == 0;
            if done {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{service} has not acknowledged sequence {sequence} within {within:?}: ack \
                 floor {}, {} pending, {} unacknowledged",
                info.ack_floor.stream_sequence,
                info.num_pending,
                info.num_ack_pending
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Messages in the dead-letter stream.
    pub async fn dead_letters(&self) -> anyhow::Result<u64> {
        let js = self.jetstream().await?;
        let mut stream = js
            .get_stream(self.topology()?.dead_letter_stream().name)
            .await?;
        Ok(stream.info().await?.state.messages)
    }

    /// The job's row.
    pub async fn job_row(&self, job: JobUuid) -> anyhow::Result<job::Model> {
        job::Entity::find()
            .filter(job::Column::Uuid.eq(uuid::Uuid::from(job)))
            .one(self.db.conn())
            .await?
            .with_context(|| format!("no job {job}"))
    }

    /// Waits until the job's row has `status` (the scheduler owns it and may lag behind the
    /// events stream), for at most `within`.
    pub async fn wait_job_status(
        &self,
        job: JobUuid,
        status: &str,
        within: Duration,
    ) -> anyhow::Result<job::Model> {
        let deadline = Instant::now() + within;
        loop {
            let row = self.job_row(job).await?;
            if row.status == status {
                return Ok(row);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "job {job} is {}, not {status}, after {within:?}",
                row.status
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every job row, oldest first.
    pub async fn job_rows(&self) -> anyhow::Result<Vec<job::Model>> {
        Ok(job::Entity::find()
            .order_by_asc(job::Column::Id)
            .all(self.db.conn())
            .await?)
    }

    /// What the database holds for the report of `job`.
    pub async fn stored_results(&self, job: JobUuid) -> anyhow::Result<StoredResults> {
        let row = self.job_row(job).await?;
        let report = report::Entity::find_by_id(row.report_id)
            .one(self.db.conn())
            .await?
            .context("the job's report")?;
        let runs = report_benchmark::Entity::find()
            .filter(report_benchmark::Column::ReportId.eq(report.id))
            .all(self.db.conn())
            .await?;
        let mut iterations: Vec<i32> = runs.iter().map(|r| r.iteration).collect();
        iterations.sort_unstable();
        iterations.dedup();
        let metrics = metric::Entity::find()
            .filter(metric::Column::ReportBenchmarkId.is_in(runs.iter().map(|r| r.id)))
            .count(self.db.conn())
            .await?;
        Ok(StoredResults {
            benchmark_runs: runs.len() as u64,
            metrics,
            iterations: iterations.len() as u64,
        })
    }

    /// An organization of `tier` with the claimed project `project` (both slugged as given),
    /// so runs naming the project run at that tier.
    pub async fn project_of_tier(
        &self,
        organization_slug: &str,
        project_slug: &str,
        tier: Priority,
    ) -> anyhow::Result<(organization::Model, project::Model)> {
        let org_slug: Slug = organization_slug.parse()?;
        let project: Slug = project_slug.parse()?;
        let org =
            get_or_create_organization(self.db.conn(), &org_slug, organization_slug, tier).await?;
        anyhow::ensure!(
            org.priority == tier.value(),
            "organization {organization_slug} exists with another tier"
        );
        let project = get_or_create_project(
            self.db.conn(),
            org.id,
            &project,
            project_slug,
            Visibility::Public,
            true,
        )
        .await?;
        Ok((org, project))
    }
}
