//! The `bencher` CLI built inside this package, so end-to-end tests can run the real binary
//! (`CARGO_BIN_EXE_e2e-bencher`): the same library entry point as `cli/src/main.rs`.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = bencher_cli::parser::Cli::parse();
    match bencher_cli::execute(cli).await {
        Ok(outcome) => outcome.into(),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
