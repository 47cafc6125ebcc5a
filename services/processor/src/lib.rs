//! The result-processor: consumes `job.completed` (image runs) and `report.submitted` (local
//! runs), parses the outputs with the report's adapter, stores benchmarks, measures and metrics,
//! computes threshold boundaries from history and raises alerts, sets the report's end time and
//! keeps its raw output, then publishes `alert.raised` per alert, `report.processed`, and
//! `job.processed` — or `job.failed` (exit code, parse error, unreadable output).
//!
//! Layout:
//! - [`run`] / [`run_with`]: the consumer loop on the `processor` durable consumer.
//! - `handler`: the consumer handler and the events it publishes.
//! - `outputs`: stdout inline or from the outputs object store, size and digest checked.
//! - [`parse`]: outputs → metrics (adapter, `--average`, `--fold`, build time, file sizes). Pure.
//! - [`process`]: the database side, one write transaction per report ([`process::store_report`],
//!   [`process::process_local`]).
//! - `judge`: thresholds → boundaries and alerts, with batched history queries.
//! - `alerts`: stored alerts as `JsonAlert`.
//! - [`error`]: [`ProcessorError`] and its ack decision.
//!
//! Idempotence: the transaction that stores a report's results first stamps the report's
//! `processed` column (`UPDATE ... WHERE processed IS NULL`). A redelivered message (or a
//! replica racing on the same report) finds the stamp, stores nothing and re-publishes the same
//! events with the same `Nats-Msg-Id`s. Job status is not written here: the scheduler moves the
//! job on `job.processed` / `job.failed`.

mod alerts;
pub mod error;
mod handler;
mod judge;
mod outputs;
pub mod parse;
pub mod process;

use bencher_db::DatabaseConnection;
use bencher_runtime::{ConsumerOptions, ServiceContext, Shutdown, run_consumer};
use bencher_wire::nats::{ConsumerDef, ServiceConsumer};

pub use error::ProcessorError;

/// Runs the processor on its durable consumer until `shutdown` trips. The NATS resources must
/// be provisioned (bencherd does it before starting services).
pub async fn run(
    ctx: ServiceContext,
    db: DatabaseConnection,
    shutdown: Shutdown,
) -> Result<(), ProcessorError> {
    let def = ctx.topology.service_consumer(ServiceConsumer::Processor);
    run_with(ctx, db, def, shutdown).await
}

/// Runs the processor on the consumer `def` (a copy of the processor's with other limits, in
/// tests); the consumer must exist.
pub async fn run_with(
    ctx: ServiceContext,
    db: DatabaseConnection,
    def: ConsumerDef,
    shutdown: Shutdown,
) -> Result<(), ProcessorError> {
    let handler = handler::Processor {
        db,
        js: ctx.js.clone(),
        subjects: ctx.subjects().clone(),
    };
    let options = ConsumerOptions {
        metrics: ctx.metrics.clone(),
        ..ConsumerOptions::new(ctx.subjects().clone())
    };
    run_consumer(&ctx.js, &def, handler, options, shutdown).await?;
    Ok(())
}
