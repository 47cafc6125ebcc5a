//! `bencher threshold create|list|view|update|delete`.

use bencher_wire::ids::ThresholdUuid;
use bencher_wire::json::ThresholdTest;
use bencher_wire::values::{NameId, ResourceId};
use clap::{Args, Subcommand};

use super::BackendArgs;
use super::run::{OutputFormat, parse_threshold_test};

/// `bencher threshold`.
#[derive(Debug, Args)]
pub struct ThresholdCrudArgs {
    /// Which threshold command.
    #[command(subcommand)]
    pub command: ThresholdCommand,
}

/// A threshold's model, as flags (Bencher's names).
#[derive(Clone, Debug, Args)]
pub struct ModelArgs {
    /// The statistical test: static, percentage, z_score, t_test, log_normal, iqr, delta_iqr.
    #[arg(long, value_parser = parse_threshold_test)]
    pub test: ThresholdTest,
    /// Fewest historical metrics before the test applies.
    #[arg(long)]
    pub min_sample_size: Option<u32>,
    /// Most historical metrics used.
    #[arg(long)]
    pub max_sample_size: Option<u32>,
    /// How far back history goes, in seconds.
    #[arg(long)]
    pub window: Option<u32>,
    /// The lower boundary (its meaning depends on the test).
    #[arg(long, allow_negative_numbers = true)]
    pub lower_boundary: Option<f64>,
    /// The upper boundary (its meaning depends on the test).
    #[arg(long, allow_negative_numbers = true)]
    pub upper_boundary: Option<f64>,
}

/// The threshold subcommands.
#[derive(Debug, Subcommand)]
pub enum ThresholdCommand {
    /// List a project's thresholds.
    List {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// Only this branch (UUID, slug or name).
        #[arg(long)]
        branch: Option<NameId>,
        /// Only this testbed.
        #[arg(long)]
        testbed: Option<NameId>,
        /// Only this measure.
        #[arg(long)]
        measure: Option<NameId>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Create a threshold on an existing branch, testbed and measure.
    Create {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The branch (UUID, slug or name).
        #[arg(long)]
        branch: NameId,
        /// The testbed.
        #[arg(long)]
        testbed: NameId,
        /// The measure.
        #[arg(long)]
        measure: NameId,
        /// The model.
        #[command(flatten)]
        model: ModelArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Show one threshold with its current model.
    View {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The threshold.
        threshold: ThresholdUuid,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Give a threshold a new model (the old version is kept, marked replaced).
    Update {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The threshold.
        threshold: ThresholdUuid,
        /// The new model.
        #[command(flatten)]
        model: ModelArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        format: OutputFormat,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Delete a threshold with its boundaries and alerts.
    Delete {
        /// The project (slug or UUID).
        #[arg(long)]
        project: ResourceId,
        /// The threshold.
        threshold: ThresholdUuid,
        /// The server.
        #[command(flatten)]
        backend: BackendArgs,
    },
}
