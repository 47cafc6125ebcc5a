//! `bencher-runner`: the runner daemon binary.

use bencher_runner::parser::{Cli, Command};
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Command::Up(args) = Cli::parse().command;
    let config = args.load(bencher_runtime::ConfigLoader::from_process_env())?;
    bencher_runtime::init_tracing(config.log.format, &config.log.filter)?;
    let runner = args.runner_config(&config)?;
    let nats = bencher_runtime::nats::connect(&config.nats, "bencher-runner").await?;
    let shutdown = bencher_runtime::Shutdown::new();
    shutdown.trigger_on_signal();
    bencher_runner::run(runner, nats, shutdown).await?;
    Ok(())
}
