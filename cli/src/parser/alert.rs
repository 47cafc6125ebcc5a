//! `bencher alert list|view|dismiss`.

use bencher_wire::ids::AlertUuid;
use bencher_wire::values::ResourceId;
use clap::{Args, Subcommand, ValueEnum};

use super::BackendArgs;
use super::run::OutputFormat;

/// `bencher alert`.
#[derive(Debug, Args)]
pub struct AlertArgs {
    /// Which alert command.
    #[command(subcommand)]
    pub command: AlertCommand,
}

/// An alert status to filter by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusFilter {
    /// Raised and not handled.
    Active,
    /// Dismissed by a user.
    Dismissed,
    /// Silenced by the system.
    Silenced,
}

impl StatusFilter {
    /// The query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Dismissed => "dismissed",
            Self::Silenced => "silenced",
        }
    }
}

/// The alert subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// List a project's alerts, newest first.
    List {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// Only alerts with this status.
        #[arg(long, value_enum)]
        status: Option<StatusFilter>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Show one alert.
    View {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The alert.
        alert: AlertUuid,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Dismiss an alert (or, with `--undo`, make it active again).
    Dismiss {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The alert.
        alert: AlertUuid,
        /// Make the alert active again instead.
        #[arg(long)]
        undo: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
}
