//! The `bencher-runner` daemon built inside this package, so end-to-end tests can run it as a
//! process and kill it (`CARGO_BIN_EXE_e2e-runner`): the same entry point as `runner/src/main.rs`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bencher_runner::parser::run_cli(bencher_runner::parser::Cli::parse()).await
}
