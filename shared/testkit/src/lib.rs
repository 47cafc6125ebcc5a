//! Test kit: real nats-server processes and database fixtures for both backends.
//!
//! Layout:
//! - `nats`: start a `nats-server` with JetStream on a free port (single node or 3-node cluster),
//!   `restart()` on the same store, killed on drop.
//! - `oci`: a real registry (Debian's docker-registry) and images built with umoci + skopeo.
//! - `db`: fresh SQLite and PostgreSQL databases with the migrations applied.

pub mod db;
pub mod nats;
pub mod oci;
