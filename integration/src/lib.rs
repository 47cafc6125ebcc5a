//! End-to-end tests of the whole product: a real nats-server, a real SQLite database, a real
//! registry (Debian's docker-registry) with images built by umoci, the bencherd stack in-process,
//! real runners with runc, and the real `bencher` CLI binary.
//!
//! [`Sandbox`] starts it all (in the style of Quickwit's `ClusterSandbox`); each test file under
//! `tests/` says what it proves.
//!
//! Layout:
//! - [`Sandbox`], [`SandboxOptions`]: start, stop, runners, images, the CLI.
//! - [`services`]: microservices mode in one process — the resolver, the scheduler and the
//!   processor each as its own stack, killed ([`Sandbox::kill`]) and restarted
//!   ([`Sandbox::restart`]) one by one.
//! - [`probe`]: what tests observe — the events stream ([`probe::EventLog`]), database rows,
//!   consumer progress, replays of stored events.
//! - [`cli`]: running the CLI binary and reading its output.

pub mod cli;
pub mod probe;
pub mod services;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bencher_runtime::{Config, Shutdown};
use bencher_testkit::db::TestDb;
use bencher_testkit::nats::NatsServer;
use bencher_testkit::oci::{Layout, Registry, script_image};
use tempfile::TempDir;
use tokio::task::JoinHandle;

pub use services::Service;
use services::{Part, Parts};

/// The spec every sandbox serves.
pub const SPEC: &str = "default";

/// A benchmark script printing Bencher Metric Format with two benchmarks of one measure (and a
/// log line on stderr).
pub const BMF_SCRIPT: &str = r#"echo "running the benchmark" >&2; echo '{"fib 20": {"latency": {"value": 1520.5, "lower_value": 1490, "upper_value": 1561}}, "sort/µs": {"latency": {"value": 42}}}'"#;

/// Knobs of a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Seconds without a heartbeat before a job is failed (short in tests).
    pub heartbeat_timeout_secs: u64,
    /// Seconds past a job's timeout before it is canceled hard.
    pub grace_secs: u64,
    /// In-process runners to start (0: none; a test may start one as a process).
    pub runners: usize,
    /// Run the resolver, the scheduler and the processor each as its own stack (microservices
    /// mode in one process), so a test can kill and restart them one by one. Otherwise one
    /// stack runs every service.
    pub split_services: bool,
    /// Turn on the built-in registry's token auth with this secret.
    pub registry_token_secret: Option<String>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            heartbeat_timeout_secs: 3,
            grace_secs: 2,
            runners: 1,
            split_services: false,
            registry_token_secret: None,
        }
    }
}

/// How one of the sandbox's runners runs.
enum Runner {
    /// A task in this process.
    Task(Shutdown, JoinHandle<anyhow::Result<()>>),
    /// The runner binary as a child process, which a test can kill.
    Process(std::process::Child),
}

/// A whole running product.
pub struct Sandbox {
    /// The NATS server (restartable).
    pub nats: NatsServer,
    /// The database.
    pub db: TestDb,
    /// The external registry the resolver is allowed to use.
    pub registry: Registry,
    /// The stack's HTTP address.
    pub http: SocketAddr,
    /// The configuration the stack runs with.
    pub config: Arc<Config>,
    parts: Parts,
    runners: Vec<Runner>,
    data: TempDir,
}

impl Sandbox {
    /// Start everything with default options.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(SandboxOptions::default()).await
    }

    /// Start everything.
    pub async fn start_with(options: SandboxOptions) -> anyhow::Result<Self> {
        // Service logs go to the test's output (shown for failing tests); RUST_LOG refines.
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned());
        bencher_runtime::init_tracing(bencher_runtime::config::LogFormat::Human, &filter)?;
        let nats = NatsServer::start().await?;
        let db = TestDb::sqlite().await?;
        let registry = tokio::task::spawn_blocking(Registry::start).await??;
        let data = tempfile::tempdir()?;

        let mut config = Config {
            data_dir: data.path().to_owned(),
            ..Config::default()
        };
        config.nats.urls = vec![nats.url()];
        config.database.url = Some(db.url().to_owned());
        config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.registries.allow = vec![format!("http://{}", registry.host())];
        config.scheduler.heartbeat_timeout_secs = options.heartbeat_timeout_secs;
        config.scheduler.grace_secs = options.grace_secs;
        config.runner.specs = vec![SPEC.to_owned()];
        config.registry.token_secret = options.registry_token_secret.clone();
        let config = Arc::new(config);

        let (front, http) = services::start_front(&config, options.split_services).await?;
        let mut parts = Parts::new(front);
        if options.split_services {
            for service in Service::ALL {
                parts.insert(service, Part::start(&config, service).await?);
            }
        }
        let mut sandbox = Self {
            nats,
            db,
            registry,
            http,
            config,
            parts,
            runners: Vec::new(),
            data,
        };
        for _ in 0..options.runners {
            sandbox.start_runner().await?;
        }
        Ok(sandbox)
    }

    /// Start one more in-process runner serving [`SPEC`] (again, after [`Self::kill_runner`]),
    /// each alive runner with its own work dir.
    pub async fn start_runner(&mut self) -> anyhow::Result<()> {
        let nats = bencher_runtime::nats::connect(&self.config.nats, "e2e-runner").await?;
        let mut runner_config = bencher_runner::RunnerConfig::from_config(&self.config)?;
        runner_config.sandbox.work_dir = match self.runners.len() {
            0 => self.data.path().join("runner"),
            n => self.data.path().join(format!("runner-{n}")),
        };
        let shutdown = Shutdown::new();
        let runner_shutdown = shutdown.clone();
        let task = tokio::spawn(async move {
            bencher_runner::run(runner_config, nats, runner_shutdown)
                .await
                .context("runner")
        });
        self.runners.push(Runner::Task(shutdown, task));
        Ok(())
    }

    /// Start a runner as a separate process from `binary` (see [`runner_process!`]), so that
    /// [`Self::kill_runner`] can kill it like a dying machine.
    pub fn start_runner_process(&mut self, binary: &str) -> anyhow::Result<()> {
        let child = Command::new(binary)
            .args(["up", "--spec", SPEC, "--nats-url", &self.nats.url()])
            .arg("--work-dir")
            .arg(self.data.path().join("runner-process"))
            .env("BENCHER_LOG_FILTER", "warn")
            .spawn()?;
        self.runners.push(Runner::Process(child));
        Ok(())
    }

    /// Stop every runner abruptly: a runner process gets SIGKILL (no terminal event, no more
    /// heartbeats), as if its machine died; an in-process runner's task is aborted.
    pub fn kill_runner(&mut self) {
        for runner in self.runners.drain(..) {
            match runner {
                Runner::Process(mut child) => {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                Runner::Task(_, task) => task.abort(),
            }
        }
    }

    /// Kill `service` abruptly (split sandboxes only): its tasks are aborted wherever they
    /// are — mid-handler, between a database commit and its ack — with no graceful shutdown,
    /// and its NATS connection closes. Returns once its task is gone.
    pub async fn kill(&mut self, service: Service) -> anyhow::Result<()> {
        let part = self
            .parts
            .take(service)
            .with_context(|| format!("{service} is not running in this sandbox"))?;
        part.kill().await
    }

    /// Start `service` again after [`Self::kill`], as a fresh stack (new connections, new
    /// in-memory state) on the same NATS server and database.
    pub async fn restart(&mut self, service: Service) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.parts.is_running(service),
            "{service} is still running"
        );
        let part = Part::start(&self.config, service).await?;
        self.parts.insert(service, part);
        Ok(())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("http://{}", self.http)
    }

    /// Build a busybox image running `script` and push it as `name:tag` to the registry;
    /// returns the image reference to give `bencher run --image`.
    pub async fn push_script_image(&self, name_tag: &str, script: &str) -> anyhow::Result<String> {
        let host = self.registry.host();
        let (name_tag_owned, script) = (name_tag.to_owned(), script.to_owned());
        let registry_host = host.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let layout = Layout::new()?;
            script_image(&layout, "image", &script)?;
            let status = Command::new("skopeo")
                .args(["copy", "--quiet", "--dest-tls-verify=false"])
                .arg(format!("oci:{}:image", layout.path().display()))
                .arg(format!("docker://{registry_host}/{name_tag_owned}"))
                .status()?;
            anyhow::ensure!(status.success(), "skopeo copy failed");
            Ok(())
        })
        .await??;
        Ok(format!("{host}/{name_tag}"))
    }

    /// `binary` (the real `bencher` CLI; see [`bencher!`]) with `--host` preset through the
    /// environment.
    pub fn cli(&self, binary: &str) -> Command {
        let mut command = Command::new(binary);
        command.env("BENCHER_HOST", self.host());
        command.env_remove("BENCHER_API_KEY");
        command.env_remove("BENCHER_NATS_URL");
        command
    }

    /// Stop everything and wait for the stacks to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        for runner in self.runners.drain(..) {
            match runner {
                Runner::Task(shutdown, task) => {
                    shutdown.trigger();
                    let _ = tokio::time::timeout(Duration::from_secs(20), task).await;
                }
                Runner::Process(child) => {
                    let _ = Command::new("kill")
                        .args(["-TERM", &child.id().to_string()])
                        .status();
                    let mut child = child;
                    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
                }
            }
        }
        self.parts.stop().await
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.parts.trigger_all();
        for runner in self.runners.drain(..) {
            match runner {
                Runner::Task(shutdown, _) => shutdown.trigger(),
                Runner::Process(mut child) => {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}

/// Start a runner of `sandbox` as a process of this package's `e2e-runner` binary (the runner
/// daemon), killable with `kill_runner`.
#[macro_export]
macro_rules! runner_process {
    ($sandbox:expr) => {
        $sandbox.start_runner_process(env!("CARGO_BIN_EXE_e2e-runner"))
    };
}

/// The real `bencher` CLI (this package's `e2e-bencher` binary, built from the CLI library)
/// pointed at `sandbox`: `bencher!(sandbox).args(["run", ...])`. A macro because Cargo tells
/// only test and bench targets where the binary is.
#[macro_export]
macro_rules! bencher {
    ($sandbox:expr) => {
        $sandbox.cli(env!("CARGO_BIN_EXE_e2e-bencher"))
    };
}
