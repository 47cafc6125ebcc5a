//! Watching a job over the server's event stream: `event: status` carries a
//! [`JobStatusSnapshot`], `event: log` a [`LogLine`], both as JSON.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;

use bencher_wire::msg::{JobStatusSnapshot, LogLine};
use bytes::Bytes;
use futures::{Stream, StreamExt};

use super::{LogOrder, Sequencer, WatchEvent};
use crate::client::ApiClient;
use crate::error::CliError;
use crate::sse::{SseEvent, SseParser};

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// A live view of one job over server-sent events.
pub struct SseWatcher {
    body: ByteStream,
    parser: SseParser,
    pending: VecDeque<WatchEvent>,
    sequencer: Sequencer,
    log_order: LogOrder,
}

impl fmt::Debug for SseWatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseWatcher")
            .field("pending", &self.pending.len())
            .field("last_sequence", &self.sequencer.last())
            .finish()
    }
}

impl SseWatcher {
    /// Open the event stream at `events_url` (a path on the API server).
    pub async fn start(client: &ApiClient, events_url: &str) -> Result<Self, CliError> {
        let response = client.events(events_url).await?;
        Ok(Self {
            body: Box::pin(response.bytes_stream()),
            parser: SseParser::new(),
            pending: VecDeque::new(),
            sequencer: Sequencer::default(),
            log_order: LogOrder::default(),
        })
    }

    fn offer(&mut self, event: SseEvent) {
        match event.event.as_str() {
            "status" => {
                if let Ok(snapshot) = serde_json::from_str::<JobStatusSnapshot>(&event.data)
                    && self.sequencer.accept(&snapshot)
                {
                    self.pending.push_back(WatchEvent::Status(snapshot));
                }
            }
            "log" => {
                if let Ok(line) = serde_json::from_str::<LogLine>(&event.data)
                    && self.log_order.accept(&line)
                {
                    self.pending.push_back(WatchEvent::Log(line));
                }
            }
            // Unknown event types are for newer clients.
            _ => {}
        }
    }

    /// The next status change or log line; `None` when the stream ended or broke.
    pub async fn next(&mut self) -> Option<WatchEvent> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            let chunk = self.body.next().await?.ok()?;
            for event in self.parser.push(&chunk) {
                self.offer(event);
            }
        }
    }
}
