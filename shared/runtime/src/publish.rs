//! Publishing to JetStream with a `Nats-Msg-Id`, retried through reconnects and leader elections.

use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, context::PublishError};
use bytes::Bytes;

/// How a deduplicated publish retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishRetry {
    /// How long one attempt waits for its PubAck.
    pub attempt_timeout: Duration,
    /// How long all attempts together may take.
    pub deadline: Duration,
}

impl Default for PublishRetry {
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(5),
            // Longer than a cluster leader election (~5 s) and a quick server restart.
            deadline: Duration::from_secs(60),
        }
    }
}

/// What the server answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The stream holding the message.
    pub stream: String,
    /// Its sequence in that stream (the first copy's, for a duplicate).
    pub sequence: u64,
    /// Whether the server had already seen this `Nats-Msg-Id` and dropped this copy.
    pub duplicate: bool,
    /// Attempts it took.
    pub attempts: u32,
}

/// Why a publish did not get a PubAck.
#[derive(Debug, thiserror::Error)]
pub enum PublishFailure {
    /// A rule of the stream refused the message; retrying would not help.
    #[error("publish to {subject} refused: {source}")]
    Refused {
        /// The subject.
        subject: String,
        /// The server's or client's reason.
        #[source]
        source: PublishError,
    },
    /// Still no PubAck when the deadline passed.
    #[error("publish to {subject} not acknowledged after {attempts} attempts: {source}")]
    Exhausted {
        /// The subject.
        subject: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        #[source]
        source: PublishError,
    },
}

/// Publishes `payload` with `Nats-Msg-Id: msg_id` and waits for the PubAck, retrying with the
/// same id (so the stream keeps one copy) until [`PublishRetry::default`]'s deadline.
pub async fn publish_deduplicated(
    js: &jetstream::Context,
    subject: &str,
    msg_id: &str,
    payload: Bytes,
    headers: Option<HeaderMap>,
) -> Result<Published, PublishFailure> {
    publish_deduplicated_with(
        js,
        subject,
        msg_id,
        payload,
        headers,
        PublishRetry::default(),
    )
    .await
}

/// [`publish_deduplicated`] with an explicit retry policy.
pub async fn publish_deduplicated_with(
    js: &jetstream::Context,
    subject: &str,
    msg_id: &str,
    payload: Bytes,
    headers: Option<HeaderMap>,
    retry: PublishRetry,
) -> Result<Published, PublishFailure> {
    let started = Instant::now();
    let mut attempts = 0;
    let mut delay = Duration::from_millis(50);
    loop {
        attempts += 1;
        let mut all = headers.clone().unwrap_or_default();
        all.insert(async_nats::header::NATS_MESSAGE_ID, msg_id);
        let publish = PublishMessage::build()
            .payload(payload.clone())
            .headers(all);
        let result = match js.send_publish(subject.to_owned(), publish).await {
            Ok(ack) => match tokio::time::timeout(retry.attempt_timeout, ack).await {
                Ok(result) => result,
                Err(_) => Err(PublishError::new(PublishErrorKind::TimedOut)),
            },
            Err(e) => Err(e),
        };
        let source = match result {
            Ok(ack) => {
                return Ok(Published {
                    stream: ack.stream,
                    sequence: ack.sequence,
                    duplicate: ack.duplicate,
                    attempts,
                });
            }
            Err(e) => e,
        };
        if !retryable(source.kind()) {
            return Err(PublishFailure::Refused {
                subject: subject.to_owned(),
                source,
            });
        }
        if started.elapsed() + delay > retry.deadline {
            return Err(PublishFailure::Exhausted {
                subject: subject.to_owned(),
                attempts,
                source,
            });
        }
        tracing::warn!(subject, msg_id, attempts, error = %source, "publish not acknowledged, retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// Timeouts, broken connections and "no responders" (no stream leader yet) pass; refusals don't.
fn retryable(kind: PublishErrorKind) -> bool {
    matches!(
        kind,
        PublishErrorKind::TimedOut
            | PublishErrorKind::BrokenPipe
            | PublishErrorKind::StreamNotFound
            | PublishErrorKind::MaxAckPending
            | PublishErrorKind::Other
    )
}

#[cfg(test)]
#[path = "publish_tests.rs"]
mod tests;
