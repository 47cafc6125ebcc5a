//! The contract: everything that crosses a process boundary. Serde only, no I/O.
//!
//! Layout:
//! - [`nats`]: subjects (`bencher.v1...`), streams, consumers, buckets.
//! - [`msg`]: NATS messages — job events, report and alert events, the runner command, control,
//!   log lines, status snapshots.
//! - [`json`]: HTTP bodies of the `/v0` API, in Bencher's shapes.
//! - [`ids`]: typed UUIDs; [`slug`]: validated slugs; [`priority`]: tiers.
//! - [`values`]: validated names, hashes, timeouts and bounded lists; [`image`]: image references
//!   and digests.
//! - [`status`]: the job status state machine.
//! - [`bmf`]: Bencher Metric Format; [`measure`]: the built-in measures (names and units).
//! - [`error`]: why a value was refused at the edge.
//! - `samples` (feature `samples`): every checked-in JSON sample, for other crates' tests.
//!
//! The samples live in `tests/samples/v1/` of this crate ([`SAMPLES_DIR`]).

pub mod bmf;
pub mod error;
pub mod ids;
pub mod image;
pub mod json;
pub mod measure;
pub mod msg;
pub mod nats;
pub mod priority;
#[cfg(feature = "samples")]
pub mod samples;
pub mod slug;
pub mod status;
pub mod values;

pub use error::ValidationError;
pub use priority::Priority;
pub use slug::Slug;

/// The directory of the checked-in JSON samples, one per message and body.
pub const SAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/samples/v1");
