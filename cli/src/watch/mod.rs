//! Following a job live: status snapshots and log lines, from NATS or from the server's
//! event stream, in order, each once.
//!
//! - [`nats`]: subscribe to the status and log subjects, then read the current status from
//!   the bucket (direct get); apply only snapshots with a higher `sequence`.
//! - [`sse`]: the same messages over `GET .../events`, for clients that cannot reach NATS.
//! - [`follow`]: the loop that prints progress, polls as a safety net and stops on a terminal
//!   status or Ctrl-C.

pub mod follow;
pub mod nats;
pub mod sse;

use bencher_wire::msg::{JobStatusSnapshot, LogLine};

pub use follow::{FollowEnd, Follower, JobEnd, LogSink};

/// One thing that happened to a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEvent {
    /// Its status snapshot changed.
    Status(JobStatusSnapshot),
    /// It printed a line.
    Log(LogLine),
}

/// Keeps the newest snapshot: a snapshot is applied only when its `sequence` is higher than
/// every one applied before, so a value read twice (subject and bucket) or late is dropped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sequencer {
    last: Option<u64>,
}

impl Sequencer {
    /// Whether `snapshot` is newer than everything seen; records it when it is.
    pub fn accept(&mut self, snapshot: &JobStatusSnapshot) -> bool {
        if self.last.is_some_and(|last| snapshot.sequence <= last) {
            return false;
        }
        self.last = Some(snapshot.sequence);
        true
    }

    /// The highest sequence applied.
    pub fn last(&self) -> Option<u64> {
        self.last
    }
}

/// Drops log lines already shown: lines count up within an attempt, and attempts count up.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogOrder {
    last: Option<(u32, u64)>,
}

impl LogOrder {
    /// Whether `line` comes after every line shown; records it when it does.
    pub fn accept(&mut self, line: &LogLine) -> bool {
        let key = (line.attempt, line.seq);
        if self.last.is_some_and(|last| key <= last) {
            return false;
        }
        self.last = Some(key);
        true
    }
}

/// Where events come from.
#[derive(Debug)]
pub enum EventSource {
    /// NATS subscriptions.
    Nats(nats::NatsWatcher),
    /// The server's event stream.
    Sse(sse::SseWatcher),
}

impl EventSource {
    /// The next event, or `None` when the source ended.
    pub async fn next(&mut self) -> Option<WatchEvent> {
        match self {
            Self::Nats(w) => w.next().await,
            Self::Sse(w) => w.next().await,
        }
    }
}
