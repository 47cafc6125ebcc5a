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
    _args: &UpArgs,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let services = stack::selected_services(&[ServiceName::All]);
    let stack = Stack::start(config.clone(), services, shutdown.clone()).await?;

    let machine = MachineSpec::detect(&config.data_dir);
    let spec = upsert_default_spec(
        &stack.db,
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

    println!("bencherd ready on http://{}", stack.local_addr);
    stack.wait(shutdown).await
}
