//! The contract: everything that crosses a process boundary. Serde only, no I/O.
//!
//! Layout:
//! - [`nats`]: subjects (`bencher.v1...`), streams, consumers, buckets.
//! - [`ids`]: typed UUIDs; [`slug`]: validated slugs; [`priority`]: tiers.
//! - [`bmf`]: Bencher Metric Format.
//! - [`error`]: why a value was refused at the edge.

pub mod bmf;
pub mod error;
pub mod ids;
pub mod nats;
pub mod priority;
pub mod slug;

pub use error::ValidationError;
pub use priority::Priority;
pub use slug::Slug;
