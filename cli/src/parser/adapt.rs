//! `bencher adapt`.

use std::path::PathBuf;

use bencher_adapters::{AdapterKind, Average, Fold};
use clap::Args;

/// `bencher adapt`: parse harness output locally and print Bencher Metric Format.
#[derive(Debug, Args)]
pub struct AdaptArgs {
    /// The harness adapter (`magic` detects it).
    #[arg(long, default_value = "magic")]
    pub adapter: AdapterKind,
    /// Which statistic becomes the value, when the harness reports several.
    #[arg(long)]
    pub average: Option<Average>,
    /// Fold the documents of several files (iterations) into one.
    #[arg(long)]
    pub fold: Option<Fold>,
    /// Files to parse, one iteration each (repeatable); standard input when absent.
    #[arg(long = "file")]
    pub files: Vec<PathBuf>,
}
