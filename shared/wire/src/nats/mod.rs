//! The NATS contract: every subject, stream, consumer, bucket and object store, in one place.
//!
//! Services never `format!` a subject: they call [`Subjects`] and provision from [`Topology`].
//! A breaking change to a subject adds a `v2` beside `v1`.

mod subjects;
mod topology;

pub use subjects::{JobEventKind, ReportEventKind, Subjects};
pub use topology::{
    ConsumerDef, KvDef, ObjectStoreDef, Republish, Retention, ServiceConsumer, Storage, StreamDef,
    Topology,
};

/// The default subject prefix; stream and bucket names derive from it (`BENCHER_EVENTS`).
pub const DEFAULT_PREFIX: &str = "bencher";

/// The header carrying the deduplication id of a publish: `<job>:<transition>`.
pub const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// The header carrying the W3C trace context.
pub const TRACEPARENT_HEADER: &str = "traceparent";
