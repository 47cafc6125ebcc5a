//! The resolver (registry resolution): consumes `job.requested`, pins the image to the digest of
//! its platform manifest, picks the spec, the tier and the timeout, writes them to the job (the
//! columns it owns: digest, spec, priority, timeout; plus an explicit spec on the testbed) and
//! publishes `job.resolved` — or `job.failed` with a reason the user sees.
//!
//! Layout:
//! - [`run`] / [`run_with`]: the consumer loop on the `resolver` durable consumer.
//! - [`policy`]: the registry allow list (refused registries are never contacted) and the
//!   tiers' timeouts.
//! - `spec`: explicit spec → the testbed's → the default.
//! - `requested`: the `job.requested` handler.
//! - [`error`]: the crate's error, [`ResolverError`].
//!
//! The job's status is not written here: the scheduler moves it to `pending` on `job.resolved`
//! and to `failed` on `job.failed`. A redelivered request for a resolved job publishes the same
//! `job.resolved` again (same `Nats-Msg-Id`, so the stream keeps one). A registry that cannot be
//! reached is retried with backoff (`nak`); on the consumer's last delivery the job fails.
//! While a registry is slow, the consumer loop sends progress (`+WPI`) every half `ack_wait`.

pub mod error;
pub mod policy;
mod requested;
mod spec;

use std::time::Duration;

use bencher_db::DatabaseConnection;
use bencher_oci::{RegistryClient, RegistryConfig};
use bencher_runtime::{ConsumerOptions, ServiceContext, Shutdown, run_consumer};
use bencher_wire::nats::{ConsumerDef, ServiceConsumer};

pub use error::ResolverError;
pub use policy::RegistryPolicy;

/// Runs the resolver on its durable consumer until `shutdown` trips. The NATS resources must be
/// provisioned (bencherd does it before starting services).
pub async fn run(
    ctx: ServiceContext,
    db: DatabaseConnection,
    shutdown: Shutdown,
) -> Result<(), ResolverError> {
    let def = ctx.topology.service_consumer(ServiceConsumer::Resolver);
    run_with(ctx, db, def, shutdown).await
}

/// Runs the resolver on the consumer `def` (a copy of the resolver's with other limits, in
/// tests); the consumer must exist.
pub async fn run_with(
    ctx: ServiceContext,
    db: DatabaseConnection,
    def: ConsumerDef,
    shutdown: Shutdown,
) -> Result<(), ResolverError> {
    let policy = RegistryPolicy::new(&ctx.config.registries.allow, ctx.config.http.listen)?;
    let client = RegistryClient::new(RegistryConfig {
        insecure_registries: policy.plain_http_hosts(),
        connect_timeout: Some(Duration::from_secs(5)),
        read_timeout: Some(Duration::from_secs(30)),
        ..RegistryConfig::default()
    })?;
    let handler = requested::Requested {
        db,
        js: ctx.js.clone(),
        subjects: ctx.subjects().clone(),
        policy,
        client,
        builtin_token_secret: ctx.config.registry.token_secret.clone(),
        max_deliver: def.max_deliver,
    };
    let options = ConsumerOptions {
        metrics: ctx.metrics.clone(),
        ..ConsumerOptions::new(ctx.subjects().clone())
    };
    run_consumer(&ctx.js, &def, handler, options, shutdown).await?;
    Ok(())
}
