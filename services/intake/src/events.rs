//! `GET /v0/projects/{p}/jobs/{j}/events`: the job's status and log lines as server-sent events,
//! for clients that cannot reach NATS. First the current status snapshot from the job-status
//! bucket (a history watch on the job's key: current value, then every change, no gap), and the
//! log lines from the start of the logs stream (an ordered consumer on `log.<job>`); each
//! `event: status` carries a `JobStatusSnapshot`, each `event: log` a `LogLine`. After a terminal
//! status the remaining log lines are flushed, `event: end` is sent and the stream closes.

use std::convert::Infallible;
use std::time::Duration;

use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::kv::Operation;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use bencher_db::parse_job_status;
use bencher_db::queries::intake::views::JobRow;
use bencher_wire::ids::JobUuid;
use bencher_wire::msg::{JobStatusSnapshot, LogLine, SchemaV1};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::error::IntakeError;
use crate::jobs::{job_from_path, project_from_path};
use crate::state::IntakeState;

/// How long to wait for log lines still in flight after a terminal status.
const LOG_DRAIN: Duration = Duration::from_secs(2);

/// `GET /v0/projects/{project}/jobs/{job}/events`.
pub async fn events(
    State(state): State<IntakeState>,
    Path((project, job)): Path<(String, String)>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, IntakeError> {
    let found = project_from_path(&state, &project).await?;
    let row = job_from_path(&state, &found, &job).await?;
    let job = JobUuid::from(row.job.uuid);
    let js = &state.ctx().js;
    let topology = &state.ctx().topology;
    let bucket = js
        .get_key_value(topology.job_status_kv().bucket)
        .await
        .map_err(|e| IntakeError::StatusBucket(Box::new(e)))?;
    let key = job.to_string();
    let status = bucket
        .watch_with_history(&key)
        .await
        .map_err(|e| IntakeError::StatusBucket(Box::new(e)))?;
    // The bucket forgets old jobs: a finished job without an entry is shown from its row.
    let fallback = match bucket
        .entry(&key)
        .await
        .map_err(|e| IntakeError::StatusBucket(Box::new(e)))?
    {
        None if parse_job_status(&row.job.status)?.is_terminal() => Some(snapshot_of(&row)?),
        _ => None,
    };
    let logs_stream = js
        .get_stream(topology.logs_stream().name)
        .await
        .map_err(|e| IntakeError::Logs(Box::new(e)))?;
    let log_subject = state.subjects().log(job);
    let logs = logs_stream
        .create_consumer(OrderedConfig {
            filter_subject: log_subject.clone(),
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(|e| IntakeError::Logs(Box::new(e)))?
        .messages()
        .await
        .map_err(|e| IntakeError::Logs(Box::new(e)))?;

    let (tx, rx) = mpsc::channel(64);
    let pump = Pump {
        tx,
        logs_stream,
        log_subject,
        last_log: 0,
    };
    let shutdown = state.shutdown().clone();
    tokio::spawn(async move {
        tokio::select! {
            result = pump.run(status, logs, fallback) => {
                if let Err(err) = result {
                    warn!(job = %job, error = %err, "event stream ended early");
                }
            }
            () = shutdown.wait() => {}
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|event| (Ok(event), rx))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(state.options().keep_alive)))
}

/// A snapshot built from the job row, for a finished job the bucket no longer holds.
fn snapshot_of(row: &JobRow) -> Result<JobStatusSnapshot, IntakeError> {
    let json = crate::view::job_json(row, None, None)?;
    Ok(JobStatusSnapshot {
        schema: SchemaV1,
        job: json.uuid,
        report: json.report,
        status: json.status,
        sequence: 0,
        attempt: json.attempt,
        runner: json.runner,
        iteration: None,
        exit_code: json.exit_code,
        failure: json.failure,
        cancel: json.cancel,
        updated_at: json.modified,
    })
}

struct Pump {
    tx: mpsc::Sender<Event>,
    logs_stream: async_nats::jetstream::stream::Stream,
    log_subject: String,
    last_log: u64,
}

/// The client went away.
struct Gone;

impl Pump {
    async fn run(
        mut self,
        mut status: async_nats::jetstream::kv::Watch,
        mut logs: async_nats::jetstream::consumer::pull::Ordered,
        fallback: Option<JobStatusSnapshot>,
    ) -> Result<(), IntakeError> {
        let mut last_sequence = None;
        let mut finished = false;
        if let Some(snapshot) = fallback {
            if self.status(&snapshot).await.is_err() {
                return Ok(());
            }
            finished = true;
        }
        while !finished {
            tokio::select! {
                entry = status.next() => {
                    let Some(entry) = entry else { break };
                    let entry = entry.map_err(|e| IntakeError::StatusBucket(Box::new(e)))?;
                    if entry.operation != Operation::Put {
                        continue;
                    }
                    let snapshot: JobStatusSnapshot = match serde_json::from_slice(&entry.value) {
                        Ok(snapshot) => snapshot,
                        Err(err) => {
                            warn!(key = %entry.key, error = %err, "unreadable status snapshot skipped");
                            continue;
                        }
                    };
                    // Keep only newer snapshots: a client never sees the status go back.
                    if last_sequence.is_some_and(|last| snapshot.sequence <= last) {
                        continue;
                    }
                    last_sequence = Some(snapshot.sequence);
                    finished = snapshot.status.is_terminal();
                    if self.status(&snapshot).await.is_err() {
                        return Ok(());
                    }
                }
                // The client went away while nothing happened.
                () = self.tx.closed() => return Ok(()),
                message = logs.next() => {
                    let Some(message) = message else { break };
                    let message = message.map_err(|e| IntakeError::Logs(Box::new(e)))?;
                    if self.log(&message).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
        // Lines printed before the end may still be on their way to this consumer.
        let last = self
            .logs_stream
            .get_last_raw_message_by_subject(&self.log_subject)
            .await
            .map_or(0, |m| m.sequence);
        while self.last_log < last {
            match tokio::time::timeout(LOG_DRAIN, logs.next()).await {
                Ok(Some(Ok(message))) => {
                    if self.log(&message).await.is_err() {
                        return Ok(());
                    }
                }
                _ => break,
            }
        }
        let _ = self.send(Event::default().event("end").data("{}")).await;
        Ok(())
    }

    async fn status(&mut self, snapshot: &JobStatusSnapshot) -> Result<(), Gone> {
        match Event::default().event("status").json_data(snapshot) {
            Ok(event) => self.send(event).await,
            Err(err) => {
                warn!(error = %err, "status snapshot not serializable");
                Ok(())
            }
        }
    }

    async fn log(&mut self, message: &async_nats::jetstream::Message) -> Result<(), Gone> {
        if let Ok(info) = message.info() {
            self.last_log = self.last_log.max(info.stream_sequence);
        }
        let line: LogLine = match serde_json::from_slice(&message.payload) {
            Ok(line) => line,
            Err(err) => {
                debug!(error = %err, "unreadable log line skipped");
                return Ok(());
            }
        };
        match Event::default().event("log").json_data(&line) {
            Ok(event) => self.send(event).await,
            Err(_) => Ok(()),
        }
    }

    async fn send(&mut self, event: Event) -> Result<(), Gone> {
        self.tx.send(event).await.map_err(|_| Gone)
    }
}
