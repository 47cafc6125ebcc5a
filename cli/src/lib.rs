//! `bencher`, the command-line client: Bencher's `run` flags, image jobs followed live over
//! NATS (or server-sent events), job management and local adapters.
//!
//! Layout:
//! - [`parser`]: clap structs only.
//! - [`run`]: `bencher run` (local flow and `--image` jobs).
//! - [`job`]: `bencher job list|view|cancel|logs`.
//! - [`adapt`]: `bencher adapt`.
//! - [`threshold`]: `bencher threshold ...`; [`alert`]: `bencher alert list|view|dismiss`.
//! - [`watch`]: following a job (NATS, server-sent events, polling).
//! - [`client`]: the `/v0` HTTP client; [`sse`]: the event-stream parser.
//! - [`render`]: tables; [`error`]: [`CliError`].
//!
//! Exit codes: 0 success; 1 failure (the job failed or was canceled, the benchmark exited
//! non-zero, an alert with `--err`, or any error); 130 interrupted with the job left running.

pub mod adapt;
pub mod alert;
pub mod client;
pub mod error;
pub mod job;
pub mod parser;
pub mod render;
pub mod run;
pub mod sse;
pub mod threshold;
pub mod watch;

use std::process::ExitCode;

pub use error::CliError;
use parser::{Cli, Command};

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1.
    Failure,
    /// Exit 130 (Ctrl-C).
    Interrupted,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Interrupted => 130,
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(outcome.code())
    }
}

/// Run a parsed command line.
pub async fn execute(cli: Cli) -> Result<Outcome, CliError> {
    match cli.command {
        Command::Run(args) => run::run(*args).await,
        Command::Job(args) => job::run(args.command).await,
        Command::Adapt(args) => adapt::run(&args),
        Command::Threshold(args) => threshold::run(args.command).await,
        Command::Alert(args) => alert::run(args.command).await,
    }
}
