//! The scheduler service: owns a job's lifecycle after resolution, the concurrency slots and
//! runner liveness (DESIGN §3).
//!
//! It consumes `job.resolved` and the runners' events through the durable consumer
//! `scheduler`, queues resolved jobs, publishes run commands to `dispatch.<spec>.<tier>` within
//! each organization's (or, for unclaimed projects, each source address's) concurrency limit,
//! moves `job.status` with conditional updates, relays cancels to runners on `ctl.job.<job>`, and
//! sweeps every second for lost runners, hard timeouts and anything owed but not yet published.
//!
//! Layout:
//! - [`run`] / [`run_with`]: the consumer loop and the sweep until shutdown.
//! - `events`: the [`Handler`](bencher_runtime::Handler) routing each event.
//! - `dispatch`: `resolved` → pending, slots, run commands and `job.dispatched`.
//! - `runner`: claimed, running, heartbeat, completed, failed, canceled, processed.
//! - `cancel`: cancel requests, the relay to runners, scheduler-made terminal events.
//! - `sweep`: lost heartbeats, timeout + grace, republishing, waiting slots.
//! - [`options`]: timings and limits; [`error`]: [`SchedulerError`].
//!
//! Every handler is idempotent and safe with several replicas: all decisions are conditional
//! updates in the database (see `bencher_db::queries::scheduler`), every publish carries the
//! wire `Nats-Msg-Id`, and events the scheduler owes are kept in an outbox column until
//! JetStream acknowledged them.

mod cancel;
mod dispatch;
pub mod error;
mod events;
pub mod options;
mod runner;
mod sweep;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use bencher_db::DatabaseConnection;
use bencher_runtime::{ConsumerOptions, ServiceContext, Shutdown, run_consumer};
use bencher_wire::ids::JobUuid;
use bencher_wire::nats::ServiceConsumer;

pub use error::SchedulerError;
pub use options::SchedulerOptions;

/// Runs the scheduler with the policy of `ctx.config.scheduler` until `shutdown` trips. The
/// NATS resources must be provisioned (bencherd does it before starting services).
pub async fn run(
    ctx: ServiceContext,
    db: DatabaseConnection,
    shutdown: Shutdown,
) -> Result<(), SchedulerError> {
    let options = SchedulerOptions::from_config(&ctx.config.scheduler);
    run_with(ctx, db, options, shutdown).await
}

/// [`run`] with explicit options (tests shorten the timings).
pub async fn run_with(
    ctx: ServiceContext,
    db: DatabaseConnection,
    options: SchedulerOptions,
    shutdown: Shutdown,
) -> Result<(), SchedulerError> {
    let def = ctx.topology.service_consumer(ServiceConsumer::Scheduler);
    let mut consumer_options = ConsumerOptions::new(ctx.subjects().clone());
    consumer_options.metrics = ctx.metrics.clone();
    consumer_options.concurrency = options.handler_concurrency;
    let js = ctx.js.clone();
    let scheduler = Arc::new(Scheduler::new(ctx, db, options));

    let sweeping = shutdown.child();
    // Aborted if this future is dropped (its task aborted): a stopped scheduler never sweeps.
    let mut sweep = AbortOnDrop(tokio::spawn(sweep::run(
        scheduler.clone(),
        sweeping.clone(),
    )));
    let result = run_consumer(
        &js,
        &def,
        events::EventHandler::new(scheduler),
        consumer_options,
        shutdown,
    )
    .await;
    sweeping.trigger();
    if let Err(e) = (&mut sweep.0).await {
        tracing::error!(error = %e, "sweep task ended abnormally");
    }
    result.map_err(SchedulerError::from)
}

/// Aborts its task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One scheduler instance: its handles and the little it keeps in memory (nothing that another
/// replica or a restart would need).
pub(crate) struct Scheduler {
    ctx: ServiceContext,
    db: DatabaseConnection,
    options: SchedulerOptions,
    /// When this instance started: lost-heartbeat checks wait one timeout after it, so a backlog
    /// of heartbeats is read before anyone is declared lost.
    started: Instant,
    /// When this instance last wrote each job's heartbeat.
    heartbeat_writes: Mutex<HashMap<JobUuid, Instant>>,
    /// Dispatched jobs already logged as waiting for a runner, by attempt.
    warned: Mutex<HashSet<(JobUuid, i32)>>,
}

impl Scheduler {
    fn new(ctx: ServiceContext, db: DatabaseConnection, options: SchedulerOptions) -> Self {
        Self {
            ctx,
            db,
            options,
            started: Instant::now(),
            heartbeat_writes: Mutex::default(),
            warned: Mutex::default(),
        }
    }

    /// Whether this instance should write a heartbeat of `job` now (and notes that it will).
    fn heartbeat_due(&self, job: JobUuid) -> bool {
        let mut writes = self
            .heartbeat_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        match writes.get(&job) {
            Some(last) if now.duration_since(*last) < self.options.heartbeat_write_interval => {
                false
            }
            _ => {
                writes.insert(job, now);
                true
            }
        }
    }

    /// Forgets a job's heartbeat bookkeeping.
    fn forget(&self, job: JobUuid) {
        self.heartbeat_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&job);
    }
}
