//! Field-by-field comparison of a definition with the configuration the server echoes back.

use std::fmt::Debug;

use async_nats::jetstream::consumer::{self, AckPolicy, DeliverPolicy};
use async_nats::jetstream::stream;
use bencher_wire::nats::{ConsumerDef, KvDef, ObjectStoreDef, StreamDef};

use super::{ProvisionError, retention, storage};

struct Check {
    resource: String,
}

impl Check {
    fn field<T: PartialEq + Debug>(
        &self,
        field: &'static str,
        expected: T,
        actual: T,
    ) -> Result<&Self, ProvisionError> {
        if expected == actual {
            Ok(self)
        } else {
            Err(ProvisionError::Mismatch {
                resource: self.resource.clone(),
                field,
                expected: format!("{expected:?}"),
                actual: format!("{actual:?}"),
            })
        }
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Compares a stream's echoed configuration with its definition.
pub fn check_stream(def: &StreamDef, actual: &stream::Config) -> Result<(), ProvisionError> {
    Check {
        resource: format!("stream {}", def.name),
    }
    .field("subjects", sorted(&def.subjects), sorted(&actual.subjects))?
    .field("retention", retention(def.retention), actual.retention)?
    .field("storage", storage(def.storage), actual.storage)?
    .field("max_age", def.max_age, actual.max_age)?
    .field("max_bytes", def.max_bytes, actual.max_bytes)?
    .field(
        "duplicate_window",
        def.duplicate_window,
        actual.duplicate_window,
    )?
    .field("replicas", def.replicas, actual.num_replicas)?
    .field("allow_msg_ttl", def.allow_msg_ttl, actual.allow_message_ttl)?;
    Ok(())
}

/// Compares a key-value bucket's stream configuration with its definition.
pub fn check_kv(def: &KvDef, actual: &stream::Config) -> Result<(), ProvisionError> {
    let republish = |r: Option<(&str, &str)>| r.map(|(s, d)| (s.to_owned(), d.to_owned()));
    Check {
        resource: format!("bucket {}", def.bucket),
    }
    .field("history", def.history, actual.max_messages_per_subject)?
    .field("max_age", def.max_age, actual.max_age)?
    .field("storage", storage(def.storage), actual.storage)?
    .field("replicas", def.replicas, actual.num_replicas)?
    .field(
        "republish",
        republish(
            def.republish
                .as_ref()
                .map(|r| (r.source.as_str(), r.destination.as_str())),
        ),
        republish(
            actual
                .republish
                .as_ref()
                .filter(|r| !r.headers_only)
                .map(|r| (r.source.as_str(), r.destination.as_str())),
        ),
    )?;
    Ok(())
}

/// Compares an object store's stream configuration with its definition.
pub fn check_object_store(
    def: &ObjectStoreDef,
    actual: &stream::Config,
) -> Result<(), ProvisionError> {
    Check {
        resource: format!("object store {}", def.bucket),
    }
    .field("max_age", def.max_age, actual.max_age)?
    .field("max_bytes", def.max_bytes, actual.max_bytes)?
    .field("storage", storage(def.storage), actual.storage)?
    .field("replicas", def.replicas, actual.num_replicas)?;
    Ok(())
}

/// Compares a consumer's echoed configuration with its definition.
pub fn check_consumer(def: &ConsumerDef, actual: &consumer::Config) -> Result<(), ProvisionError> {
    let mut filters = actual.filter_subjects.clone();
    if !actual.filter_subject.is_empty() {
        filters.push(actual.filter_subject.clone());
    }
    Check {
        resource: format!("consumer {}/{}", def.stream, def.durable),
    }
    .field(
        "durable_name",
        Some(def.durable.as_str()),
        actual.durable_name.as_deref(),
    )?
    .field(
        "filter_subjects",
        sorted(&def.filter_subjects),
        sorted(&filters),
    )?
    .field("ack_policy", AckPolicy::Explicit, actual.ack_policy)?
    .field("deliver_policy", DeliverPolicy::All, actual.deliver_policy)?
    .field("ack_wait", def.ack_wait, actual.ack_wait)?
    .field("max_deliver", def.max_deliver, actual.max_deliver)?
    .field(
        "max_ack_pending",
        def.max_ack_pending,
        actual.max_ack_pending,
    )?;
    Ok(())
}
