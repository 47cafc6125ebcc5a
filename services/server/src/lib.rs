//! `bencherd`: the one service binary — any set of services (`--services`), everything on one
//! machine (`up`), or the database migrations (`migrate`). Also a library, so integration tests
//! start the same stack in-process.
//!
//! Layout:
//! - [`parser`]: clap flags, mapped onto configuration overrides.
//! - [`stack`]: connect NATS and the database, provision, serve HTTP, start the services.
//! - [`up`]: the embedded default (nats-server child, SQLite, default spec, local runner).
//! - [`embedded_nats`]: the nats-server child process of `up`.
//! - [`machine`]: this machine's CPU, memory and disk, for the default spec.

pub mod embedded_nats;
pub mod machine;
pub mod parser;
pub mod stack;
pub mod up;

use crate::parser::{Cli, Command};

/// Runs the command line's command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Some(Command::Up(args)) => up::run(&cli, args).await,
        Some(Command::Migrate) => stack::migrate_only(&cli).await,
        None => stack::serve(&cli).await,
    }
}
