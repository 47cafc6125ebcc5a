//! The notifier: projects every job event into the job-status key-value bucket
//! (`<P>_JOB_STATUS`, key = the job UUID), whose republish rule delivers each change on
//! `<p>.v1.status.<job>`. A client subscribes to that subject, then reads the current value (or
//! watches the key with history), and keeps the snapshot with the highest `sequence`.
//!
//! Layout:
//! - [`run`] / [`run_with`]: the consumer loop on the `notifier` durable consumer.
//! - [`project`]: the pure projection — an event applies only with a higher events-stream
//!   sequence, a current attempt and a transition the job state machine allows.
//! - `status`: the handler; compare-and-set on the bucket (`create` for a job's first snapshot,
//!   `update` with the last revision after), re-reading on a conflict, so replicas and
//!   redeliveries never move a status backwards or lose a change.
//! - [`error`]: the crate's error, [`NotifierError`].
//!
//! Webhook delivery of `alert.raised` is not built yet: report and alert events are acknowledged
//! without effect.

pub mod error;
pub mod project;
mod status;

use bencher_db::DatabaseConnection;
use bencher_runtime::{ConsumerOptions, ServiceContext, Shutdown, run_consumer};
use bencher_wire::nats::{ConsumerDef, ServiceConsumer};

pub use error::NotifierError;

/// Runs the notifier on its durable consumer until `shutdown` trips. The NATS resources must be
/// provisioned (bencherd does it before starting services).
pub async fn run(
    ctx: ServiceContext,
    db: DatabaseConnection,
    shutdown: Shutdown,
) -> Result<(), NotifierError> {
    let def = ctx.topology.service_consumer(ServiceConsumer::Notifier);
    run_with(ctx, db, def, shutdown).await
}

/// Runs the notifier on the consumer `def` (another durable with the notifier's filters, in
/// tests); the consumer and the bucket must exist.
pub async fn run_with(
    ctx: ServiceContext,
    db: DatabaseConnection,
    def: ConsumerDef,
    shutdown: Shutdown,
) -> Result<(), NotifierError> {
    let bucket = ctx.topology.job_status_kv().bucket;
    let kv = ctx
        .js
        .get_key_value(&bucket)
        .await
        .map_err(|source| NotifierError::Bucket { bucket, source })?;
    let handler = status::StatusProjector {
        db,
        kv,
        subjects: ctx.subjects().clone(),
    };
    let options = ConsumerOptions {
        metrics: ctx.metrics.clone(),
        ..ConsumerOptions::new(ctx.subjects().clone())
    };
    run_consumer(&ctx.js, &def, handler, options, shutdown).await?;
    Ok(())
}
