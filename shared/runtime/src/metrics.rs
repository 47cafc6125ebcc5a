//! Prometheus metrics: one registry per process, shared by every service and consumer loop.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Metric, Registry};

/// What happened to a message a consumer loop received.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    /// Given to the handler.
    Handled,
    /// Acknowledged after the handler succeeded.
    Acked,
    /// Negatively acknowledged for a later redelivery.
    Naked,
    /// Terminated after being dead-lettered.
    Termed,
}

impl Outcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Handled => "handled",
            Outcome::Acked => "acked",
            Outcome::Naked => "naked",
            Outcome::Termed => "termed",
        }
    }
}

/// Labels of the per-consumer message counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// The durable consumer name.
    pub consumer: String,
    /// What happened ([`Outcome::as_str`]).
    pub outcome: &'static str,
}

/// Labels of per-consumer metrics.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumerLabels {
    /// The durable consumer name.
    pub consumer: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The consumer loop's metrics, registered once per [`Metrics`].
#[derive(Clone, Debug)]
pub struct ConsumerMetrics {
    messages: Family<OutcomeLabels, Counter>,
    latency: Family<ConsumerLabels, Histogram, fn() -> Histogram>,
}

impl ConsumerMetrics {
    /// Counts one `outcome` for `consumer`.
    pub fn count(&self, consumer: &str, outcome: Outcome) {
        self.messages
            .get_or_create(&OutcomeLabels {
                consumer: consumer.to_owned(),
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// How many `outcome`s `consumer` had.
    pub fn get(&self, consumer: &str, outcome: Outcome) -> u64 {
        self.messages
            .get_or_create(&OutcomeLabels {
                consumer: consumer.to_owned(),
                outcome: outcome.as_str(),
            })
            .get()
    }

    /// Records one handler run of `seconds`.
    pub fn observe_latency(&self, consumer: &str, seconds: f64) {
        self.latency
            .get_or_create(&ConsumerLabels {
                consumer: consumer.to_owned(),
            })
            .observe(seconds);
    }
}

/// A cloneable handle on the process's metric registry.
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    consumer: ConsumerMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with the `bencher_` prefix and the consumer-loop metrics registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("bencher");
        let consumer = ConsumerMetrics {
            messages: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "consumer_messages",
            "Messages a consumer loop received, by outcome",
            consumer.messages.clone(),
        );
        registry.register(
            "consumer_handler_seconds",
            "Time a consumer's handler took per message",
            consumer.latency.clone(),
        );
        Self {
            registry: Arc::new(Mutex::new(registry)),
            consumer,
        }
    }

    /// The consumer-loop metrics.
    pub fn consumer(&self) -> &ConsumerMetrics {
        &self.consumer
    }

    /// Registers a service's own metric (`bencher_<name>`).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        self.registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .register(name, help, metric);
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        prometheus_client::encoding::text::encode(&mut out, &registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_encodes() {
        let metrics = Metrics::new();
        metrics.consumer().count("resolver", Outcome::Acked);
        metrics.consumer().count("resolver", Outcome::Acked);
        metrics.consumer().observe_latency("resolver", 0.003);
        let own: Counter = Counter::default();
        metrics.register("jobs_resolved", "Jobs resolved", own.clone());
        own.inc();
        let text = metrics.encode().unwrap();
        assert!(
            text.contains(
                "bencher_consumer_messages_total{consumer=\"resolver\",outcome=\"acked\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("bencher_consumer_handler_seconds_count{consumer=\"resolver\"} 1"),
            "{text}"
        );
        assert!(text.contains("bencher_jobs_resolved_total 1"), "{text}");
        assert_eq!(metrics.consumer().get("resolver", Outcome::Acked), 2);
    }
}
