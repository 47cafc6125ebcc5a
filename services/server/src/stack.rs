//! The service stack: load configuration, connect NATS and the database, provision every NATS
//! resource, serve HTTP (API + ops endpoints) and run the selected services until shutdown.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
use bencher_runtime::{Config, HealthState, Metrics, ServiceContext, Shutdown};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::parser::{Cli, ServiceName};

/// Loads the configuration from defaults, the TOML file, the environment and the flags.
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let config = Config::load(cli.common.config.as_deref(), &cli.common.overrides())?;
    Ok(config)
}

/// The services to run, `all` expanded.
pub fn selected_services(names: &[ServiceName]) -> BTreeSet<&'static str> {
    const ALL: [&str; 5] = ["intake", "resolver", "scheduler", "processor", "notifier"];
    let mut selected = BTreeSet::new();
    for name in names {
        match name {
            ServiceName::All => selected.extend(ALL),
            ServiceName::Intake => {
                selected.insert("intake");
            }
            ServiceName::Resolver => {
                selected.insert("resolver");
            }
            ServiceName::Scheduler => {
                selected.insert("scheduler");
            }
            ServiceName::Processor => {
                selected.insert("processor");
            }
            ServiceName::Notifier => {
                selected.insert("notifier");
            }
        }
    }
    selected
}

/// Connects to the database and applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data dir {}", config.data_dir.display()))?;
    let db = bencher_db::connect(&config.database_url())
        .await
        .context("connecting to the database")?;
    bencher_db::migrate(&db)
        .await
        .context("applying database migrations")?;
    Ok(db)
}

/// `bencherd migrate`.
pub async fn migrate_only(cli: &Cli) -> anyhow::Result<()> {
    let config = load_config(cli)?;
    bencher_runtime::init_tracing(config.log.format, &config.log.filter)?;
    open_database(&config).await?;
    tracing::info!("database migrated");
    Ok(())
}

/// `bencherd [--services ...]`: microservices mode against an existing NATS and database.
pub async fn serve(cli: &Cli) -> anyhow::Result<()> {
    let config = load_config(cli)?;
    bencher_runtime::init_tracing(config.log.format, &config.log.filter)?;
    if config.nats.urls.is_empty() {
        anyhow::bail!(
            "no NATS server configured: pass --nats-url (or set BENCHER_NATS_URL), or run \
             `bencherd up` to start an embedded one"
        );
    }
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal();
    let services = selected_services(&cli.services);
    let running = Stack::start(Arc::new(config), services, shutdown.clone()).await?;
    println!("bencherd ready on http://{}", running.local_addr);
    running.wait(shutdown).await
}

/// A running stack.
pub struct Stack {
    /// Where HTTP listens.
    pub local_addr: std::net::SocketAddr,
    /// The service context (NATS, topology, metrics).
    pub ctx: ServiceContext,
    /// The database.
    pub db: DatabaseConnection,
    tasks: JoinSet<anyhow::Result<()>>,
}

impl Stack {
    /// Connect, provision, migrate, bind the listener and start `services`.
    pub async fn start(
        config: Arc<Config>,
        services: BTreeSet<&'static str>,
        shutdown: Shutdown,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.http.listen)
            .await
            .with_context(|| format!("listening on {}", config.http.listen))?;
        let local_addr = listener.local_addr()?;
        // Services learn the address actually bound (`:0` picks a port): the resolver recognizes
        // the built-in registry by it.
        let config = if config.http.listen == local_addr {
            config
        } else {
            let mut bound = Config::clone(&config);
            bound.http.listen = local_addr;
            Arc::new(bound)
        };

        let nats = bencher_runtime::nats::connect(&config.nats, "bencherd")
            .await
            .context("connecting to NATS")?;
        let metrics = Metrics::new();
        let ctx = ServiceContext::new(config.clone(), nats.clone(), metrics.clone())?;
        bencher_runtime::provision(&ctx.js, &ctx.topology)
            .await
            .context("provisioning NATS streams, consumers and buckets")?;
        let db = open_database(&config).await?;

        let names: Vec<String> = services.iter().map(|s| (*s).to_owned()).collect();
        let health = HealthState::new(names, Some(nats));
        let mut router = bencher_runtime::ops_router(health.clone(), metrics);

        let mut tasks = JoinSet::new();
        if services.contains("intake") {
            let public = bencher_intake::PublicUrls {
                http: format!("http://{local_addr}"),
                nats: config.nats.urls.clone(),
            };
            let state = bencher_intake::IntakeState::new(ctx.clone(), db.clone(), public)
                .with_shutdown(shutdown.clone());
            let outbox_shutdown = shutdown.clone();
            let outbox_state = state.clone();
            tasks.spawn(async move {
                bencher_intake::run_outbox(outbox_state, outbox_shutdown)
                    .await
                    .context("intake outbox")
            });
            router = router.merge(bencher_intake::router(state));
        }
        let http_shutdown = shutdown.clone();
        tasks.spawn(async move {
            // Connect info gives intake the client's address (per-IP limits of unclaimed runs).
            let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app)
                .with_graceful_shutdown(http_shutdown.wait())
                .await
                .context("serving HTTP")
        });
        for service in &services {
            let (ctx, db, shutdown) = (ctx.clone(), db.clone(), shutdown.clone());
            match *service {
                // Intake is the HTTP API, served by the listener above.
                "intake" => {}
                "resolver" => {
                    tasks.spawn(async move {
                        bencher_resolver::run(ctx, db, shutdown)
                            .await
                            .context("resolver")
                    });
                }
                "scheduler" => {
                    tasks.spawn(async move {
                        bencher_scheduler::run(ctx, db, shutdown)
                            .await
                            .context("scheduler")
                    });
                }
                "notifier" => {
                    tasks.spawn(async move {
                        bencher_notifier::run(ctx, db, shutdown)
                            .await
                            .context("notifier")
                    });
                }
                "processor" => {
                    tasks.spawn(async move {
                        bencher_processor::run(ctx, db, shutdown)
                            .await
                            .context("processor")
                    });
                }
                other => anyhow::bail!("unknown service {other}"),
            }
            tracing::info!(service, "service started");
        }
        health.set_ready(true);
        Ok(Self {
            local_addr,
            ctx,
            db,
            tasks,
        })
    }

    /// Add a task that stops the stack when it fails.
    pub fn spawn(&mut self, task: impl Future<Output = anyhow::Result<()>> + Send + 'static) {
        self.tasks.spawn(task);
    }

    /// Run until `shutdown` trips (or a task fails, which trips it), then wait for every task.
    pub async fn wait(mut self, shutdown: Shutdown) -> anyhow::Result<()> {
        let mut first_error = None;
        loop {
            tokio::select! {
                () = shutdown.wait() => break,
                joined = self.tasks.join_next() => match joined {
                    None => break,
                    Some(Ok(Ok(()))) => {}
                    Some(Ok(Err(error))) => {
                        tracing::error!(error = %format!("{error:#}"), "a service stopped");
                        first_error.get_or_insert(error);
                        shutdown.trigger();
                    }
                    Some(Err(join_error)) => {
                        first_error.get_or_insert(anyhow::anyhow!("a service panicked: {join_error}"));
                        shutdown.trigger();
                    }
                },
            }
        }
        tracing::info!("shutting down");
        while let Some(joined) = self.tasks.join_next().await {
            if let Ok(Err(error)) = joined {
                first_error.get_or_insert(error);
            }
        }
        // Flush what the services published before the connection (and maybe the server) goes.
        if let Err(error) = self.ctx.nats.drain().await {
            tracing::warn!(%error, "draining the NATS connection");
        }
        self.db.close().await.ok();
        match first_error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
