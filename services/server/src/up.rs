//! `bencherd up`: the embedded default for one machine — SQLite and blobs under the data dir, a
//! nats-server child process unless `--nats-url` is given, every service in this process, a
//! default spec describing this machine, and a local runner.

use std::sync::Arc;

use anyhow::Context;
use bencher_db::queries::spec::{NewSpec, upsert_default_spec};
use bencher_runtime::Shutdown;
use bencher_wire::Slug;

use crate::embedded_nats::EmbeddedNats;
use crate::machine::MachineSpec;
use crate::parser::{Cli, ServiceName, UpArgs};
use crate::stack::{self, Stack};

/// The slug of the spec `up` creates for this machine.
const DEFAULT_SPEC_SLUG: &str = "default";

/// Runs everything until Ctrl-C or SIGTERM, then stops everything, the nats-server included.
pub async fn run(cli: &Cli, args: &UpArgs) -> anyhow::Result<()> {
    let mut config = stack::load_config(cli)?;
    bencher_runtime::init_tracing(config.log.format, &config.log.filter)?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data dir {}", config.data_dir.display()))?;
    // Absolute from here on: the SQLite URL, the NATS store and runc bundles must not depend on
    // the working directory of whoever reads them.
    config.data_dir = std::path::absolute(&config.data_dir)
        .with_context(|| format!("resolving the data dir {}", config.data_dir.display()))?;

    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();

    let embedded = if config.nats.urls.is_empty() {
        let binary = EmbeddedNats::locate(args.nats_server.as_deref())?;
        let nats = EmbeddedNats::start(&binary, args.nats_port, &config.data_dir.join("nats"))
            .await
            .context("starting the embedded nats-server")?;
        tracing::info!(url = nats.url(), "embedded nats-server started");
        config.nats.urls = vec![nats.url().to_owned()];
        Some(nats)
    } else {
        None
    };

    let result = run_stack(Arc::new(config), args, shutdown.clone()).await;
    shutdown.trigger();
    if let Some(nats) = embedded {
        nats.stop()
            .await
            .context("stopping the embedded nats-server")?;
    }
    result
}

async fn run_stack(
    config: Arc<bencher_runtime::Config>,
    args: &UpArgs,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let services = stack::selected_services(&[ServiceName::All]);
    let mut stack = Stack::start(config.clone(), services, shutdown.clone()).await?;
    record_default_spec(&stack.db, &config.data_dir).await?;

    if !args.no_runner {
        let mut runner_config =
            bencher_runner::RunnerConfig::from_config(&with_default_spec(&config))
                .context("configuring the local runner")?;
        runner_config.specs.dedup();
        let nats = stack.ctx.nats.clone();
        let runner_shutdown = shutdown.clone();
        stack.spawn(async move {
            bencher_runner::run(runner_config, nats, runner_shutdown)
                .await
                .context("local runner")
        });
    }

    println!("bencherd ready on http://{}", stack.local_addr);
    stack.wait(shutdown).await
}

/// The configuration with the `default` spec among the runner's specs: the local runner serves
/// the spec `up` records for this machine.
fn with_default_spec(config: &bencher_runtime::Config) -> bencher_runtime::Config {
    let mut config = config.clone();
    if !config.runner.specs.iter().any(|s| s == DEFAULT_SPEC_SLUG) {
        config.runner.specs.insert(0, DEFAULT_SPEC_SLUG.to_owned());
    }
    config
}

/// Records the spec `default`, describing this machine, as the default spec.
pub async fn record_default_spec(
    db: &sea_orm::DatabaseConnection,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let machine = MachineSpec::detect(data_dir);
    let spec = upsert_default_spec(
        db,
        NewSpec {
            slug: DEFAULT_SPEC_SLUG.parse::<Slug>()?,
            name: "This machine".to_owned(),
            architecture: machine.architecture.clone(),
            cpu: i32::try_from(machine.cpu).unwrap_or(i32::MAX),
            memory: i64::try_from(machine.memory).unwrap_or(i64::MAX),
            disk: i64::try_from(machine.disk).unwrap_or(i64::MAX),
            network: false,
        },
    )
    .await
    .context("recording the default spec")?;
    tracing::info!(
        spec = %spec.slug,
        cpu = machine.cpu,
        memory = machine.memory,
        architecture = %machine.architecture,
        "default spec describes this machine"
    );
    Ok(())
}
