//! The consumer loop: pull from a durable consumer, run a [`Handler`] with bounded concurrency,
//! and settle each message by the handler's outcome.
//!
//! - `Ok` → `double_ack` (the handler has committed before returning).
//! - [`HandlerError::Transient`] → `nak` with the given delay, or an exponential backoff from the
//!   delivery count; on the last allowed delivery (`delivered >= max_deliver`) it is poison.
//! - [`HandlerError::Poison`] → [`Handler::on_poison`], then a copy to the dead-letter subject
//!   with the reason in headers, then `term`. If the dead letter cannot be stored, the message is
//!   `nak`ed instead so it is never lost.
//!
//! While a handler runs, `+WPI` progress is sent every half `ack_wait`. On shutdown the loop stops
//! pulling, `nak`s what the open pull still delivers, and waits for in-flight handlers.

mod process;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::PullConsumer};
use bencher_wire::nats::{ConsumerDef, Subjects};
use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// Header on a dead letter: the subject the message was published to.
pub const DEAD_SUBJECT_HEADER: &str = "Bencher-Dead-Subject";
/// Header on a dead letter: its sequence in the original stream.
pub const DEAD_SEQUENCE_HEADER: &str = "Bencher-Dead-Stream-Sequence";
/// Header on a dead letter: how many times it was delivered.
pub const DEAD_DELIVERIES_HEADER: &str = "Bencher-Dead-Deliveries";
/// Header on a dead letter: why the consumer gave up.
pub const DEAD_REASON_HEADER: &str = "Bencher-Dead-Reason";
/// Header on a dead letter: the durable consumer that gave up.
pub const DEAD_CONSUMER_HEADER: &str = "Bencher-Dead-Consumer";

/// What a handler tells the loop when it did not finish a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying later (database busy, peer unreachable).
    #[error("transient: {reason}")]
    Transient {
        /// Redeliver after this long; `None` backs off by delivery count.
        delay: Option<Duration>,
        /// For the logs (and the dead letter if retries run out).
        reason: String,
    },
    /// Can never succeed (malformed payload, impossible state).
    #[error("poison: {reason}")]
    Poison {
        /// Why, recorded on the dead letter.
        reason: String,
    },
}

impl HandlerError {
    /// A transient error with backoff by delivery count.
    pub fn transient(reason: impl std::fmt::Display) -> Self {
        Self::Transient {
            delay: None,
            reason: reason.to_string(),
        }
    }

    /// A poison error.
    pub fn poison(reason: impl std::fmt::Display) -> Self {
        Self::Poison {
            reason: reason.to_string(),
        }
    }
}

/// A service's message handler. Implement with `async fn`; it must be idempotent, since a
/// message may be delivered again after a crash between commit and ack.
pub trait Handler: Send + Sync + 'static {
    /// Handles one message, committing its effects before returning `Ok`.
    fn handle(
        &self,
        msg: &jetstream::Message,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Called before a message is dead-lettered, e.g. to publish the service's failed event.
    fn on_poison(
        &self,
        _msg: &jetstream::Message,
        _reason: &str,
    ) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// Why the loop could not run.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// The durable consumer (or its stream) could not be found: provision first.
    #[error("consumer {stream}/{durable} unavailable: {source}")]
    Lookup {
        /// The stream.
        stream: String,
        /// The durable name.
        durable: String,
        /// The client's error.
        #[source]
        source: async_nats::Error,
    },
}

/// Tuning of a consumer loop.
#[derive(Clone, Debug)]
pub struct ConsumerOptions {
    /// Subjects, for the dead-letter subject.
    pub subjects: Subjects,
    /// Handlers running at once in this process.
    pub concurrency: usize,
    /// How long one pull request waits for messages.
    pub pull_expires: Duration,
    /// Where the loop counts outcomes and handler latency.
    pub metrics: Metrics,
}

impl ConsumerOptions {
    /// Defaults: 16 handlers at once, 5 s pulls, a fresh metrics registry.
    pub fn new(subjects: Subjects) -> Self {
        Self {
            subjects,
            concurrency: 16,
            pull_expires: Duration::from_secs(5),
            metrics: Metrics::new(),
        }
    }
}

/// Runs `handler` over the durable consumer `def` until `shutdown` trips, then waits for the
/// handlers in flight and returns.
pub async fn run_consumer<H: Handler>(
    js: &jetstream::Context,
    def: &ConsumerDef,
    handler: H,
    options: ConsumerOptions,
    shutdown: Shutdown,
) -> Result<(), ConsumerError> {
    let lookup = |source: async_nats::Error| ConsumerError::Lookup {
        stream: def.stream.clone(),
        durable: def.durable.clone(),
        source,
    };
    let stream = js
        .get_stream_no_info(&def.stream)
        .await
        .map_err(|e| lookup(e.into()))?;
    let consumer: PullConsumer = stream.get_consumer(&def.durable).await.map_err(lookup)?;

    let concurrency = options.concurrency.max(1);
    let ctx = Arc::new(process::Ctx {
        handler,
        js: js.clone(),
        def: def.clone(),
        dead_letter_subject: options.subjects.dead_letter(&def.durable),
        metrics: options.metrics.clone(),
    });
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let mut failures = 0u32;
    let mut leftover = None;
    tracing::info!(stream = %def.stream, durable = %def.durable, concurrency, "consumer started");

    'pull: while !shutdown.is_triggered() {
        while tasks.try_join_next().is_some() {}
        // Wait for at least one free slot, then ask for as many messages as there are slots.
        let first = tokio::select! {
            () = shutdown.wait() => break 'pull,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break 'pull,
            },
        };
        let mut permits = vec![first];
        while let Ok(p) = slots.clone().try_acquire_owned() {
            permits.push(p);
        }
        let batch = consumer
            .batch()
            .max_messages(permits.len())
            .expires(options.pull_expires)
            .messages()
            .await;
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                failures += 1;
                tracing::warn!(durable = %def.durable, error = %e, "pull failed");
                pause(&shutdown, failures).await;
                continue;
            }
        };
        loop {
            let next = tokio::select! {
                () = shutdown.wait() => {
                    leftover = Some(batch);
                    break 'pull;
                }
                next = batch.next() => next,
            };
            match next {
                None => break,
                Some(Ok(msg)) => {
                    failures = 0;
                    let Some(permit) = permits.pop() else {
                        // More than requested: never expected; hand it back.
                        nak_now(&msg).await;
                        continue;
                    };
                    let ctx = ctx.clone();
                    tasks.spawn(async move {
                        ctx.process(msg).await;
                        drop(permit);
                    });
                }
                Some(Err(e)) => {
                    failures += 1;
                    tracing::warn!(durable = %def.durable, error = %e, "pull interrupted");
                    pause(&shutdown, failures).await;
                    break;
                }
            }
        }
    }

    // Stopped pulling. What the open pull request still delivers goes back right away (the
    // request ends within `pull_expires`), while the handlers in flight finish.
    tracing::info!(durable = %def.durable, in_flight = tasks.len(), "consumer stopping");
    let give_back = async {
        if let Some(mut batch) = leftover {
            while let Some(Ok(msg)) = batch.next().await {
                nak_now(&msg).await;
            }
        }
    };
    tokio::join!(give_back, tasks.join_all());
    tracing::info!(durable = %def.durable, "consumer stopped");
    Ok(())
}

async fn nak_now(msg: &jetstream::Message) {
    if let Err(e) = msg.ack_with(AckKind::Nak(None)).await {
        tracing::warn!(error = %e, "nak failed");
    }
}

/// Backs off after consecutive pull failures (server restarting, leader election).
async fn pause(shutdown: &Shutdown, failures: u32) {
    let delay = Duration::from_millis(100 * 2u64.pow(failures.min(5)));
    tokio::select! {
        () = shutdown.wait() => {}
        () = tokio::time::sleep(delay) => {}
    }
}

/// The redelivery delay after `delivered` attempts: 1 s, 2 s, 4 s … capped at one minute.
pub fn backoff(delivered: i64) -> Duration {
    let exp = u32::try_from(delivered.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
    Duration::from_secs(2u64.pow(exp)).min(Duration::from_secs(60))
}

#[cfg(test)]
mod tests;
