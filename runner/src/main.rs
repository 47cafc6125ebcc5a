//! `bencher-runner`: the runner daemon binary.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bencher_runner::parser::run_cli(bencher_runner::parser::Cli::parse()).await
}
