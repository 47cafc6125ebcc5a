//! Taking work: one durable pull consumer per (spec, tier), looked at highest tier first, one
//! message at a time, woken by a core subscription on the dispatch subjects.
//!
//! Idle waiting: a JetStream publish to `dispatch.<spec>.<tier>` is also delivered to plain
//! subscribers of that subject, so the runner subscribes to its dispatch subjects as a doorbell.
//! When it rings, the queues are scanned with no-wait fetches (plus first, then free, then
//! unclaimed); if the stream has not stored the message yet, a short pull on the rung tier
//! waits for it. Redeliveries publish nothing, so an idle runner also scans every
//! [`RunnerConfig::idle_poll`]. Only one pull request is ever outstanding, so the runner never
//! holds a message it will not run (a `nak` would count against `max_deliver`).

use std::time::Duration;

use async_nats::jetstream::{self, consumer::PullConsumer};
use bencher_wire::Priority;
use futures::stream::SelectAll;
use futures::{FutureExt, StreamExt};

use crate::config::RunnerConfig;
use crate::error::RunnerError;

/// One dispatch consumer and the subject it reads.
struct Queue {
    tier: Priority,
    subject: String,
    durable: String,
    consumer: PullConsumer,
}

/// The runner's dispatch consumers, highest tier first, and the doorbell.
pub(crate) struct Queues {
    queues: Vec<Queue>,
    doorbell: SelectAll<async_nats::Subscriber>,
    idle_poll: Duration,
    wake_wait: Duration,
}

impl Queues {
    /// Provisions the dispatch stream and this runner's consumers, binds to them and
    /// subscribes to the dispatch subjects.
    pub(crate) async fn open(
        config: &RunnerConfig,
        nats: &async_nats::Client,
        js: &jetstream::Context,
    ) -> Result<Self, RunnerError> {
        let topo = &config.topology;
        for spec in &config.specs {
            bencher_runtime::provision_dispatch(js, topo, spec, &Priority::HIGHEST_FIRST).await?;
        }
        let stream_name = topo.dispatch_stream().name;
        let mut queues = Vec::new();
        let mut doorbell = SelectAll::new();
        for tier in Priority::HIGHEST_FIRST {
            for spec in &config.specs {
                let def = topo.dispatch_consumer(spec, tier);
                let consumer_error = |source: async_nats::Error| RunnerError::Consumer {
                    durable: def.durable.clone(),
                    source,
                };
                let stream = js
                    .get_stream(&stream_name)
                    .await
                    .map_err(|e| consumer_error(e.into()))?;
                let consumer: PullConsumer = stream
                    .get_consumer(&def.durable)
                    .await
                    .map_err(consumer_error)?;
                let subject = config.subjects().dispatch(spec, tier);
                let subscriber = nats.subscribe(subject.clone()).await.map_err(|source| {
                    RunnerError::Subscribe {
                        subject: subject.clone(),
                        source,
                    }
                })?;
                doorbell.push(subscriber);
                queues.push(Queue {
                    tier,
                    subject,
                    durable: def.durable.clone(),
                    consumer,
                });
            }
        }
        Ok(Self {
            queues,
            doorbell,
            idle_poll: config.idle_poll,
            wake_wait: config.wake_wait,
        })
    }

    /// The next message to run, highest tier first, or `None` when every queue is empty.
    /// `rung` is the subject of the dispatch publish that woke us, if any.
    pub(crate) async fn take(&self, rung: Option<&str>) -> Option<jetstream::Message> {
        for queue in &self.queues {
            let fetch = queue.consumer.fetch().max_messages(1).messages().await;
            if let Some(message) = first(fetch, &queue.durable).await {
                tracing::debug!(tier = %queue.tier, durable = %queue.durable, "took a dispatch message");
                return Some(message);
            }
        }
        // A publish we were told about may not be stored yet: wait for it on its tier.
        let queue = self
            .queues
            .iter()
            .find(|q| Some(q.subject.as_str()) == rung)?;
        let batch = queue
            .consumer
            .batch()
            .max_messages(1)
            .expires(self.wake_wait)
            .messages()
            .await;
        first(batch, &queue.durable).await
    }

    /// Waits for a dispatch publish (its subject), the idle poll, or `stop`, whichever first.
    pub(crate) async fn wait(&mut self, stop: impl std::future::Future<Output = ()>) -> Wake {
        tokio::select! {
            message = self.doorbell.next() => match message {
                Some(message) => Wake::Rung(message.subject.to_string()),
                None => Wake::Poll,
            },
            () = tokio::time::sleep(self.idle_poll) => Wake::Poll,
            () = stop => Wake::Stop,
        }
    }

    /// Forgets doorbell rings received while a job ran: the next scan sees those messages.
    pub(crate) fn drain_doorbell(&mut self) {
        while let Some(Some(_)) = self.doorbell.next().now_or_never() {}
    }
}

/// Why [`Queues::wait`] returned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// A dispatch publish on this subject.
    Rung(String),
    /// Time to look again.
    Poll,
    /// Shutdown.
    Stop,
}

/// The first message of a fetch or batch; errors are logged and read as "nothing".
async fn first<E: std::fmt::Display>(
    batch: Result<async_nats::jetstream::consumer::pull::Batch, E>,
    durable: &str,
) -> Option<jetstream::Message> {
    let mut batch = match batch {
        Ok(batch) => batch,
        Err(e) => {
            tracing::warn!(durable, error = %e, "dispatch pull request failed");
            return None;
        }
    };
    match batch.next().await {
        Some(Ok(message)) => Some(message),
        Some(Err(e)) => {
            tracing::debug!(durable, error = %e, "dispatch pull ended without a message");
            None
        }
        None => None,
    }
}
