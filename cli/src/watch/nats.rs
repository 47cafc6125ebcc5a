//! Watching a job over NATS: subscribe to `status.<job>` and `log.<job>` first, then read the
//! current value of the job's key with a direct get on the bucket's stream, then apply updates
//! with a higher `sequence`. Subscribing before reading leaves no gap; the sequence check drops
//! the value seen on both paths.

use std::collections::VecDeque;
use std::time::Duration;

use async_nats::jetstream;
use async_nats::jetstream::stream::DirectGetErrorKind;
use async_nats::{ConnectOptions, ServerAddr, Subscriber};
use bencher_wire::json::JsonWatch;
use bencher_wire::msg::{JobStatusSnapshot, LogLine};
use futures::StreamExt;

use super::{LogOrder, Sequencer, WatchEvent};
use crate::error::CliError;

/// How long connecting to NATS may take before the server's event stream is used instead.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Connect to the first reachable of `urls`, with the job's credential when given. Fails fast
/// (no retry) so the caller can fall back to server-sent events.
pub async fn connect(
    urls: &[String],
    credentials: Option<&str>,
) -> Result<async_nats::Client, CliError> {
    let addrs = urls
        .iter()
        .map(|u| u.parse::<ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::nats("parsing the NATS URL", e))?;
    if addrs.is_empty() {
        return Err(CliError::Usage("no NATS URL to connect to".to_owned()));
    }
    let options = match credentials {
        Some(creds) => ConnectOptions::with_credentials(creds)
            .map_err(|e| CliError::nats("reading the job's NATS credentials", e))?,
        None => ConnectOptions::new(),
    };
    let connect = options
        .connection_timeout(CONNECT_TIMEOUT)
        .max_reconnects(Some(5))
        .name("bencher-cli")
        .connect(addrs);
    match tokio::time::timeout(CONNECT_TIMEOUT * 2, connect).await {
        Ok(result) => result.map_err(|e| CliError::nats("connecting", e)),
        Err(elapsed) => Err(CliError::nats("connecting", elapsed)),
    }
}

/// A live view of one job over NATS.
#[derive(Debug)]
pub struct NatsWatcher {
    status: Subscriber,
    logs: Subscriber,
    pending: VecDeque<WatchEvent>,
    sequencer: Sequencer,
    log_order: LogOrder,
}

impl NatsWatcher {
    /// Subscribe to the job's subjects, then read its current status from the bucket.
    pub async fn start(client: &async_nats::Client, watch: &JsonWatch) -> Result<Self, CliError> {
        let status = client
            .subscribe(watch.status_subject.clone())
            .await
            .map_err(|e| CliError::nats("subscribing to the status subject", e))?;
        let logs = client
            .subscribe(watch.log_subject.clone())
            .await
            .map_err(|e| CliError::nats("subscribing to the log subject", e))?;
        // The subscriptions reach the server before this request on the same connection, so
        // any update after the value read here also arrives on `status`.
        let mut watcher = Self {
            status,
            logs,
            pending: VecDeque::new(),
            sequencer: Sequencer::default(),
            log_order: LogOrder::default(),
        };
        if let Some(current) = current_status(client, watch).await? {
            watcher.offer_status(current);
        }
        Ok(watcher)
    }

    fn offer_status(&mut self, snapshot: JobStatusSnapshot) {
        if self.sequencer.accept(&snapshot) {
            self.pending.push_back(WatchEvent::Status(snapshot));
        }
    }

    /// The next status change or log line; `None` once the connection is gone for good.
    pub async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            tokio::select! {
                message = self.status.next() => {
                    // Deletes and purges carry no snapshot: skip what does not parse.
                    let snapshot = serde_json::from_slice::<JobStatusSnapshot>(&message?.payload);
                    if let Ok(snapshot) = snapshot {
                        self.offer_status(snapshot);
                    }
                }
                message = self.logs.next() => {
                    if let Ok(line) = serde_json::from_slice::<LogLine>(&message?.payload)
                        && self.log_order.accept(&line)
                    {
                        return Some(WatchEvent::Log(line));
                    }
                }
            }
        }
    }
}

/// The job's current snapshot in the status bucket (`None` when it has no value yet).
pub async fn current_status(
    client: &async_nats::Client,
    watch: &JsonWatch,
) -> Result<Option<JobStatusSnapshot>, CliError> {
    let js = jetstream::new(client.clone());
    let stream = js
        .get_stream_no_info(format!("KV_{}", watch.status_bucket))
        .await
        .map_err(|e| CliError::nats("opening the status bucket", e))?;
    let subject = format!("$KV.{}.{}", watch.status_bucket, watch.status_key);
    match stream.direct_get_last_for_subject(subject).await {
        Ok(message) => Ok(serde_json::from_slice(&message.payload).ok()),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::nats("reading the current status", e)),
    }
}
