//! The tasks beside a running job: heartbeats and in-progress acks, the control listener, and
//! the log forwarder.

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind};
use bencher_runtime::publish::{PublishRetry, publish_deduplicated_with};
use bencher_wire::ids::JobUuid;
use bencher_wire::msg::{JobControl, JobControlMessage, JobEvent, JobEventMessage, LogStream};
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::CancelSwitch;
use crate::Shared;
use crate::sandbox::{LogLine, Stream};

/// Shortest heartbeat interval honoured, whatever the run command asks.
const MIN_HEARTBEAT: Duration = Duration::from_millis(100);

/// Sends a heartbeat every `interval_ms` and an in-progress ack on the dispatch message every
/// [`crate::RunnerConfig::progress_interval`], until `stop`.
pub(crate) async fn keepalive(
    shared: Shared,
    message: jetstream::Message,
    job: JobUuid,
    attempt: u32,
    interval_ms: u32,
    stop: CancellationToken,
) {
    let interval = Duration::from_millis(u64::from(interval_ms)).max(MIN_HEARTBEAT);
    // A heartbeat that cannot be stored within one interval is skipped; the next one counts.
    let retry = PublishRetry {
        attempt_timeout: interval,
        deadline: interval,
    };
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_progress = Instant::now();
    let mut seq: u64 = 0;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = stop.cancelled() => return,
        }
        seq += 1;
        let beat = JobEventMessage::new(
            job,
            JobEvent::Heartbeat {
                runner: shared.config.runner,
                attempt,
                seq,
            },
        );
        match serde_json::to_vec(&beat) {
            Ok(payload) => {
                let published = publish_deduplicated_with(
                    &shared.js,
                    &beat.subject(shared.subjects()),
                    &beat.msg_id(),
                    Bytes::from(payload),
                    None,
                    retry,
                )
                .await;
                if let Err(e) = published {
                    tracing::warn!(job = %job, seq, error = %e, "heartbeat not published");
                }
            }
            Err(e) => tracing::error!(job = %job, error = %e, "heartbeat not serialized"),
        }
        if last_progress.elapsed() >= shared.config.progress_interval {
            last_progress = Instant::now();
            if let Err(e) = message.ack_with(AckKind::Progress).await {
                tracing::warn!(job = %job, error = %e, "in-progress ack failed");
            }
        }
    }
}

/// Turns `Cancel` commands on `ctl.job.<job>` (and, when given, the runner's shutdown) into a
/// cancel of the job, until `stop`.
pub(crate) async fn control(
    mut subscriber: async_nats::Subscriber,
    job: JobUuid,
    switch: CancelSwitch,
    shutdown: Option<CancellationToken>,
    stop: CancellationToken,
) {
    let shutdown = async move {
        match shutdown {
            Some(token) => token.cancelled_owned().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(shutdown);
    loop {
        let message = tokio::select! {
            message = subscriber.next() => match message {
                Some(message) => message,
                None => return,
            },
            () = &mut shutdown => {
                tracing::info!(job = %job, "runner shutting down, canceling the job");
                switch.cancel(super::runner_actor());
                return;
            }
            () = stop.cancelled() => return,
        };
        match serde_json::from_slice::<JobControlMessage>(&message.payload) {
            Ok(control) if control.job == job => match control.command {
                JobControl::Cancel { reason } => {
                    tracing::info!(job = %job, reason = %reason, "cancel received");
                    switch.cancel(reason);
                }
            },
            Ok(control) => {
                tracing::warn!(job = %job, other = %control.job, "control message for another job ignored");
            }
            Err(e) => tracing::warn!(job = %job, error = %e, "malformed control message ignored"),
        }
    }
}

/// Forwards container output lines to `log.<job>` as wire [`bencher_wire::msg::LogLine`]s,
/// numbered from 1 across streams and iterations. Core publishes (captured by the logs
/// stream) keep up with fast writers; the forwarder ends when every sender is dropped and
/// returns how many lines it sent.
pub(crate) fn spawn_log_forwarder(
    shared: &Shared,
    job: JobUuid,
    attempt: u32,
) -> (mpsc::Sender<LogLine>, tokio::task::JoinHandle<u64>) {
    let (tx, mut rx) = mpsc::channel::<LogLine>(4096);
    let nats = shared.nats.clone();
    let subject = shared.subjects().log(job);
    let handle = tokio::spawn(async move {
        let mut seq: u64 = 0;
        while let Some(line) = rx.recv().await {
            seq += 1;
            let wire = bencher_wire::msg::LogLine {
                schema: bencher_wire::msg::SchemaV1,
                job,
                attempt,
                stream: match line.stream {
                    Stream::Stdout => LogStream::Stdout,
                    Stream::Stderr => LogStream::Stderr,
                },
                seq,
                line: line.line,
                at: chrono::Utc::now(),
            };
            let payload = match serde_json::to_vec(&wire) {
                Ok(payload) => Bytes::from(payload),
                Err(e) => {
                    tracing::error!(job = %job, error = %e, "log line not serialized");
                    continue;
                }
            };
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, wire.msg_id().as_str());
            if let Err(e) = nats
                .publish_with_headers(subject.clone(), headers, payload)
                .await
            {
                tracing::warn!(job = %job, seq, error = %e, "log line not published");
            }
        }
        if let Err(e) = nats.flush().await {
            tracing::warn!(job = %job, error = %e, "log flush failed");
        }
        seq
    });
    (tx, handle)
}
