//! Idempotent provisioning of the NATS resources a [`Topology`] defines.
//!
//! Get-or-create, then verify: every resource is looked up first; a missing one is created; then
//! the configuration the server echoes back is compared with the definition field by field, and a
//! difference is refused with [`ProvisionError::Mismatch`] naming the field. Nothing is ever
//! updated in place: changing a live stream is an operator's decision.

mod check;

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::context::{ConsumerInfoErrorKind, GetStreamErrorKind};
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, kv, object_store};
use bencher_wire::Priority;
use bencher_wire::nats::{
    ConsumerDef, KvDef, ObjectStoreDef, Retention, ServiceConsumer, Storage, StreamDef, Topology,
};
use bencher_wire::slug::Slug;

pub use check::{check_consumer, check_kv, check_object_store, check_stream};

/// Why provisioning stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The resource exists with a different configuration.
    #[error(
        "{resource} exists with {field} = {actual}, but the definition says {expected}; \
         change or delete it on the server deliberately"
    )]
    Mismatch {
        /// `stream BENCHER_EVENTS`, `consumer BENCHER_EVENTS/resolver`, ...
        resource: String,
        /// The configuration field that differs.
        field: &'static str,
        /// The definition's value.
        expected: String,
        /// The server's value.
        actual: String,
    },
    /// A JetStream API call failed.
    #[error("{action} {resource}: {source}")]
    Api {
        /// What we tried.
        action: &'static str,
        /// On what.
        resource: String,
        /// The client's error.
        #[source]
        source: async_nats::Error,
    },
}

impl ProvisionError {
    fn api(
        action: &'static str,
        resource: impl Into<String>,
        source: impl Into<async_nats::Error>,
    ) -> Self {
        Self::Api {
            action,
            resource: resource.into(),
            source: source.into(),
        }
    }
}

/// Creates (or verifies) every stream, the job-status bucket, the outputs object store and every
/// service consumer of `topo`.
pub async fn provision(js: &jetstream::Context, topo: &Topology) -> Result<(), ProvisionError> {
    for def in topo.streams() {
        ensure_stream(js, &def).await?;
    }
    ensure_kv(js, &topo.job_status_kv()).await?;
    ensure_object_store(js, &topo.outputs_store()).await?;
    for service in ServiceConsumer::ALL {
        ensure_consumer(js, &topo.service_consumer(service)).await?;
    }
    tracing::info!(
        prefix = topo.subjects().prefix(),
        "nats resources provisioned"
    );
    Ok(())
}

/// Creates (or verifies) the dispatch stream and a runner's dispatch consumers for `spec`, one per
/// tier in `tiers`.
pub async fn provision_dispatch(
    js: &jetstream::Context,
    topo: &Topology,
    spec: &Slug,
    tiers: &[Priority],
) -> Result<(), ProvisionError> {
    ensure_stream(js, &topo.dispatch_stream()).await?;
    for tier in tiers {
        ensure_consumer(js, &topo.dispatch_consumer(spec, *tier)).await?;
    }
    Ok(())
}

/// The server configuration for a stream definition.
pub fn stream_config(def: &StreamDef) -> stream::Config {
    stream::Config {
        name: def.name.clone(),
        subjects: def.subjects.clone(),
        retention: retention(def.retention),
        storage: storage(def.storage),
        max_age: def.max_age,
        max_bytes: def.max_bytes,
        duplicate_window: def.duplicate_window,
        num_replicas: def.replicas,
        allow_message_ttl: def.allow_msg_ttl,
        ..Default::default()
    }
}

/// The server configuration for a consumer definition: durable, pull, explicit ack, all messages.
pub fn consumer_config(def: &ConsumerDef) -> pull::Config {
    // One filter goes in `filter_subject`, as the server echoes it there.
    let (filter_subject, filter_subjects) = match def.filter_subjects.as_slice() {
        [one] => (one.clone(), Vec::new()),
        many => (String::new(), many.to_vec()),
    };
    pull::Config {
        durable_name: Some(def.durable.clone()),
        filter_subject,
        filter_subjects,
        ack_policy: AckPolicy::Explicit,
        deliver_policy: DeliverPolicy::All,
        ack_wait: def.ack_wait,
        max_deliver: def.max_deliver,
        max_ack_pending: def.max_ack_pending,
        ..Default::default()
    }
}

pub(crate) fn retention(r: Retention) -> RetentionPolicy {
    match r {
        Retention::Limits => RetentionPolicy::Limits,
        Retention::WorkQueue => RetentionPolicy::WorkQueue,
    }
}

pub(crate) fn storage(s: Storage) -> StorageType {
    match s {
        Storage::File => StorageType::File,
        Storage::Memory => StorageType::Memory,
    }
}

/// Looks up the stream; `None` if it does not exist.
async fn stream_info(
    js: &jetstream::Context,
    name: &str,
) -> Result<Option<stream::Info>, ProvisionError> {
    match js.get_stream(name).await {
        Ok(mut stream) => Ok(Some(
            stream
                .info()
                .await
                .map_err(|e| ProvisionError::api("reading", format!("stream {name}"), e))?
                .clone(),
        )),
        Err(e) => match e.kind() {
            GetStreamErrorKind::JetStream(err)
                if err.error_code() == ErrorCode::STREAM_NOT_FOUND =>
            {
                Ok(None)
            }
            _ => Err(ProvisionError::api(
                "looking up",
                format!("stream {name}"),
                e,
            )),
        },
    }
}

/// Creates the stream if missing; verifies what the server has either way.
pub async fn ensure_stream(
    js: &jetstream::Context,
    def: &StreamDef,
) -> Result<stream::Info, ProvisionError> {
    let info = match stream_info(js, &def.name).await? {
        Some(info) => info,
        None => {
            let mut created = js
                .create_stream(stream_config(def))
                .await
                .map_err(|e| ProvisionError::api("creating", format!("stream {}", def.name), e))?;
            tracing::info!(stream = %def.name, "stream created");
            created
                .info()
                .await
                .map_err(|e| ProvisionError::api("reading", format!("stream {}", def.name), e))?
                .clone()
        }
    };
    check_stream(def, &info.config)?;
    Ok(info)
}

/// Creates the key-value bucket if missing; verifies its stream's configuration either way.
pub async fn ensure_kv(
    js: &jetstream::Context,
    def: &KvDef,
) -> Result<stream::Info, ProvisionError> {
    let stream_name = format!("KV_{}", def.bucket);
    if stream_info(js, &stream_name).await?.is_none() {
        js.create_key_value(kv::Config {
            bucket: def.bucket.clone(),
            history: def.history,
            max_age: def.max_age,
            storage: storage(def.storage),
            num_replicas: def.replicas,
            republish: def.republish.as_ref().map(|r| stream::Republish {
                source: r.source.clone(),
                destination: r.destination.clone(),
                headers_only: false,
            }),
            ..Default::default()
        })
        .await
        .map_err(|e| ProvisionError::api("creating", format!("bucket {}", def.bucket), e))?;
        tracing::info!(bucket = %def.bucket, "key-value bucket created");
    }
    let info = stream_info(js, &stream_name).await?.ok_or_else(|| {
        ProvisionError::api("reading", format!("bucket {}", def.bucket), "vanished")
    })?;
    check_kv(def, &info.config)?;
    Ok(info)
}

/// Creates the object store if missing; verifies its stream's configuration either way.
pub async fn ensure_object_store(
    js: &jetstream::Context,
    def: &ObjectStoreDef,
) -> Result<stream::Info, ProvisionError> {
    let stream_name = format!("OBJ_{}", def.bucket);
    if stream_info(js, &stream_name).await?.is_none() {
        js.create_object_store(object_store::Config {
            bucket: def.bucket.clone(),
            max_age: def.max_age,
            max_bytes: def.max_bytes,
            storage: storage(def.storage),
            num_replicas: def.replicas,
            ..Default::default()
        })
        .await
        .map_err(|e| ProvisionError::api("creating", format!("object store {}", def.bucket), e))?;
        tracing::info!(bucket = %def.bucket, "object store created");
    }
    let info = stream_info(js, &stream_name).await?.ok_or_else(|| {
        ProvisionError::api(
            "reading",
            format!("object store {}", def.bucket),
            "vanished",
        )
    })?;
    check_object_store(def, &info.config)?;
    Ok(info)
}

/// Creates the durable consumer if missing; verifies what the server has either way.
pub async fn ensure_consumer(
    js: &jetstream::Context,
    def: &ConsumerDef,
) -> Result<jetstream::consumer::Info, ProvisionError> {
    let resource = format!("consumer {}/{}", def.stream, def.durable);
    let stream = js
        .get_stream_no_info(&def.stream)
        .await
        .map_err(|e| ProvisionError::api("looking up", format!("stream {}", def.stream), e))?;
    let info = match stream.consumer_info(&def.durable).await {
        Ok(info) => info,
        Err(e) if e.kind() == ConsumerInfoErrorKind::NotFound => {
            let mut consumer = stream
                .create_consumer_strict(consumer_config(def))
                .await
                .map_err(|e| ProvisionError::api("creating", resource.clone(), e))?;
            tracing::info!(stream = %def.stream, durable = %def.durable, "consumer created");
            consumer
                .info()
                .await
                .map_err(|e| ProvisionError::api("reading", resource.clone(), e))?
                .clone()
        }
        Err(e) => return Err(ProvisionError::api("looking up", resource, e)),
    };
    check_consumer(def, &info.config)?;
    Ok(info)
}

#[cfg(test)]
mod tests;
