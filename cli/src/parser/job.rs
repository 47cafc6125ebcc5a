//! `bencher job ...`.

use bencher_wire::ids::JobUuid;
use bencher_wire::values::ResourceId;
use clap::{Args, Subcommand};

use super::run::OutputFormat;
use super::{BackendArgs, WatchArgs};

/// `bencher job`.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// Which job command.
    #[command(subcommand)]
    pub command: JobCommand,
}

/// The job subcommands.
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// List a project's jobs.
    List {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Show one job, with its output.
    View {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The job.
        job: JobUuid,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Ask the server to cancel a job.
    Cancel {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The job.
        job: JobUuid,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Stream a job's log lines live; print its final output when it already ended.
    Logs {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The job.
        job: JobUuid,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
        /// How to watch.
        #[command(flatten)]
        watch: WatchArgs,
    },
}
