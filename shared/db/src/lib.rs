//! sea-orm entities and queries: the only crate that touches entity types.
//!
//! Layout:
//! - [`connect()`], [`migrate()`], [`begin_write()`]: open SQLite (file created, WAL,
//!   `foreign_keys=ON`, busy timeout) or PostgreSQL, apply migrations, start write transactions.
//! - [`entities`]: one module per table of `bencher-migrations`.
//! - [`queries`]: get-or-create by slug ([`queries::tenancy`]), report + job creation and the
//!   job state machine ([`queries::job`]), specs ([`queries::spec`]), batched metric storage
//!   ([`queries::metrics`]) and the threshold history ([`queries::history`]).
//! - [`types`]: enums stored as text ([`JobStatus`], [`Visibility`], [`AlertStatus`],
//!   [`BoundaryLimit`]).
//! - [`DbError`] with [`DbError::is_transient`] for the consumer loop's nak/term decision.

mod connect;
pub mod entities;
mod error;
pub mod queries;
pub mod types;

pub use connect::{SQLITE_BUSY_TIMEOUT, begin_write, connect, migrate};
pub use error::DbError;
pub use sea_orm::{DatabaseConnection, DbBackend};
pub use types::{AlertStatus, BoundaryLimit, JobStatus, Visibility, parse_job_status};
