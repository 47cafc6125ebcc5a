//! Settling one message: run the handler with progress, then ack, nak or dead-letter.

use std::time::Instant;

use async_nats::jetstream::{self, AckKind};
use bencher_wire::nats::ConsumerDef;

use super::{
    DEAD_CONSUMER_HEADER, DEAD_DELIVERIES_HEADER, DEAD_REASON_HEADER, DEAD_SEQUENCE_HEADER,
    DEAD_SUBJECT_HEADER, Handler, HandlerError, backoff,
};
use crate::metrics::{Metrics, Outcome};
use crate::publish::publish_deduplicated;

pub(super) struct Ctx<H> {
    pub(super) handler: H,
    pub(super) js: jetstream::Context,
    pub(super) def: ConsumerDef,
    pub(super) dead_letter_subject: String,
    pub(super) metrics: Metrics,
}

impl<H: Handler> Ctx<H> {
    pub(super) async fn process(&self, msg: jetstream::Message) {
        let durable = self.def.durable.as_str();
        let (delivered, sequence) = match msg.info() {
            Ok(info) => (info.delivered, info.stream_sequence),
            Err(e) => {
                tracing::error!(durable, error = %e, "message without jetstream metadata");
                return;
            }
        };
        self.metrics.consumer().count(durable, Outcome::Handled);
        let started = Instant::now();
        let result = self.handle_with_progress(&msg).await;
        self.metrics
            .consumer()
            .observe_latency(durable, started.elapsed().as_secs_f64());

        let last_delivery = self.def.max_deliver > 0 && delivered >= self.def.max_deliver;
        match result {
            Ok(()) => match msg.double_ack().await {
                Ok(()) => self.metrics.consumer().count(durable, Outcome::Acked),
                // The effects are committed; the redelivery will find them and ack.
                Err(e) => tracing::warn!(durable, sequence, error = %e, "ack not confirmed"),
            },
            Err(HandlerError::Transient { delay, reason }) if !last_delivery => {
                let delay = delay.unwrap_or_else(|| backoff(delivered));
                tracing::warn!(durable, sequence, delivered, ?delay, %reason, "transient failure, retrying later");
                self.nak(&msg, Some(delay)).await;
            }
            Err(HandlerError::Transient { reason, .. }) => {
                let reason = format!("gave up after {delivered} deliveries: {reason}");
                self.dead_letter(&msg, sequence, delivered, &reason).await;
            }
            Err(HandlerError::Poison { reason }) => {
                self.dead_letter(&msg, sequence, delivered, &reason).await;
            }
        }
    }

    /// Runs the handler, sending `+WPI` every half `ack_wait` so a long handler keeps the message.
    async fn handle_with_progress(&self, msg: &jetstream::Message) -> Result<(), HandlerError> {
        let period = (self.def.ack_wait / 2).max(std::time::Duration::from_millis(100));
        let handling = self.handler.handle(msg);
        tokio::pin!(handling);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                result = &mut handling => return result,
                _ = ticks.tick() => {
                    if let Err(e) = msg.ack_with(AckKind::Progress).await {
                        tracing::warn!(durable = %self.def.durable, error = %e, "progress not sent");
                    }
                }
            }
        }
    }

    async fn nak(&self, msg: &jetstream::Message, delay: Option<std::time::Duration>) {
        match msg.ack_with(AckKind::Nak(delay)).await {
            Ok(()) => self
                .metrics
                .consumer()
                .count(&self.def.durable, Outcome::Naked),
            Err(e) => tracing::warn!(durable = %self.def.durable, error = %e, "nak failed"),
        }
    }

    async fn dead_letter(
        &self,
        msg: &jetstream::Message,
        sequence: u64,
        delivered: i64,
        reason: &str,
    ) {
        let durable = self.def.durable.as_str();
        tracing::error!(durable, sequence, delivered, subject = %msg.subject, %reason, "dead-lettering message");
        self.handler.on_poison(msg, reason).await;

        let mut headers = msg.headers.clone().unwrap_or_default();
        // The original `Nats-Msg-Id` is replaced by the dead letter's own id when published.
        headers.insert(DEAD_SUBJECT_HEADER, msg.subject.as_str());
        headers.insert(DEAD_SEQUENCE_HEADER, sequence.to_string().as_str());
        headers.insert(DEAD_DELIVERIES_HEADER, delivered.to_string().as_str());
        headers.insert(DEAD_REASON_HEADER, single_line(reason).as_str());
        headers.insert(DEAD_CONSUMER_HEADER, durable);
        let id = format!("{}:{durable}:{sequence}", self.def.stream);
        let stored = publish_deduplicated(
            &self.js,
            &self.dead_letter_subject,
            &id,
            msg.payload.clone(),
            Some(headers),
        )
        .await;
        match stored {
            Ok(_) => match msg.ack_with(AckKind::Term).await {
                Ok(()) => self.metrics.consumer().count(durable, Outcome::Termed),
                Err(e) => tracing::warn!(durable, sequence, error = %e, "term failed"),
            },
            Err(e) => {
                // Never drop what we could not record: let it come back.
                tracing::error!(durable, sequence, error = %e, "dead letter not stored, retrying later");
                self.nak(msg, Some(backoff(delivered))).await;
            }
        }
    }
}

/// Header values cannot hold line breaks.
fn single_line(s: &str) -> String {
    let mut line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    line.truncate(line.floor_char_boundary(1024));
    line
}
