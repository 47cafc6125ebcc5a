//! The runner daemon: takes dispatched jobs and runs them in an OCI runtime.

pub mod sandbox;
