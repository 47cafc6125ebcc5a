//! Microservices mode in one process: every service a sandbox runs belongs to a [`Part`], one
//! `bencherd::stack::Stack` with its own [`Shutdown`], NATS connection and database pool — as
//! `bencherd --services <name>` would run it on its own machine.
//!
//! The front part serves HTTP (intake) and runs the notifier (or, unsplit, every service).
//! In a split sandbox the resolver, the scheduler and the processor each get their own part,
//! which a test kills (its task aborted: the stack's task set is dropped, which aborts every
//! consumer loop and handler wherever it is, without a graceful shutdown) and restarts.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bencher_runtime::{Config, Shutdown};
use bencherd::parser::ServiceName;
use bencherd::stack::{Stack, selected_services};
use tokio::task::JoinHandle;

/// A service a split sandbox can kill and restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// Resolves `job.requested` into `job.resolved`.
    Resolver,
    /// Drives the job state machine and dispatches.
    Scheduler,
    /// Parses outputs into metrics (`job.completed` → `job.processed`).
    Processor,
}

impl Service {
    /// Every killable service.
    pub const ALL: [Service; 3] = [Service::Resolver, Service::Scheduler, Service::Processor];

    fn name(self) -> ServiceName {
        match self {
            Service::Resolver => ServiceName::Resolver,
            Service::Scheduler => ServiceName::Scheduler,
            Service::Processor => ServiceName::Processor,
        }
    }

    /// The service's durable consumer on the events stream.
    pub fn consumer(self) -> bencher_wire::nats::ServiceConsumer {
        use bencher_wire::nats::ServiceConsumer as C;
        match self {
            Service::Resolver => C::Resolver,
            Service::Scheduler => C::Scheduler,
            Service::Processor => C::Processor,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.consumer().durable())
    }
}

/// One running stack.
pub(crate) struct Part {
    shutdown: Shutdown,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Part {
    /// Start `service` alone.
    pub(crate) async fn start(config: &Arc<Config>, service: Service) -> anyhow::Result<Self> {
        let shutdown = Shutdown::new();
        let services = selected_services(&[service.name()]);
        let stack = Stack::start(config.clone(), services, shutdown.clone()).await?;
        Ok(Self::run(shutdown, stack))
    }

    /// Run `stack` in a task until `shutdown` trips (or the task is aborted).
    fn run(shutdown: Shutdown, stack: Stack) -> Self {
        let stack_shutdown = shutdown.clone();
        let task = tokio::spawn(async move { stack.wait(stack_shutdown).await });
        Self { shutdown, task }
    }

    /// Abort the stack's task and wait until it is gone.
    pub(crate) async fn kill(self) -> anyhow::Result<()> {
        self.task.abort();
        match self.task.await {
            Err(e) if e.is_cancelled() => Ok(()),
            Err(e) => Err(anyhow::anyhow!("the stack panicked: {e}")),
            // It had stopped by itself before the kill.
            Ok(result) => result.context("the stack had stopped before it was killed"),
        }
    }

    /// Trigger a graceful shutdown and wait for it.
    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.trigger();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .context("the stack did not stop within 20 s")??
    }
}

/// Start the front part: intake and notifier (every service when not `split`), with the
/// default spec recorded. Returns it with its HTTP address.
pub(crate) async fn start_front(
    config: &Arc<Config>,
    split: bool,
) -> anyhow::Result<(Part, SocketAddr)> {
    let names: &[ServiceName] = if split {
        &[ServiceName::Intake, ServiceName::Notifier]
    } else {
        &[ServiceName::All]
    };
    let shutdown = Shutdown::new();
    let stack = Stack::start(config.clone(), selected_services(names), shutdown.clone()).await?;
    bencherd::up::record_default_spec(&stack.db, &config.data_dir).await?;
    let http = stack.local_addr;
    Ok((Part::run(shutdown, stack), http))
}

/// The parts of a sandbox.
pub(crate) struct Parts {
    front: Option<Part>,
    services: BTreeMap<Service, Part>,
}

impl Parts {
    pub(crate) fn new(front: Part) -> Self {
        Self {
            front: Some(front),
            services: BTreeMap::new(),
        }
    }

    pub(crate) fn insert(&mut self, service: Service, part: Part) {
        self.services.insert(service, part);
    }

    pub(crate) fn take(&mut self, service: Service) -> Option<Part> {
        self.services.remove(&service)
    }

    pub(crate) fn is_running(&self, service: Service) -> bool {
        self.services.contains_key(&service)
    }

    /// Trigger every part's shutdown (on drop).
    pub(crate) fn trigger_all(&self) {
        for part in self.services.values().chain(self.front.iter()) {
            part.shutdown.trigger();
        }
    }

    /// Stop the services, then the front; the first error wins.
    pub(crate) async fn stop(&mut self) -> anyhow::Result<()> {
        let mut first = Ok(());
        let services = std::mem::take(&mut self.services);
        for (_, part) in services {
            let result = part.stop().await;
            if first.is_ok() {
                first = result;
            }
        }
        if let Some(front) = self.front.take() {
            let result = front.stop().await;
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}
