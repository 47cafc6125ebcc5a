//! `resolved` → `pending`, concurrency slots, and run commands on `dispatch.<spec>.<tier>`.
//!
//! A job is queued with its run command ([`RunJob`] without attempt and dispatch time) and its
//! concurrency key: `unclaimed:ip:<addr>` for unclaimed projects (the organization when the
//! address is unknown), `<tier>:org:<id>` otherwise, none for an unlimited tier. Whenever a slot
//! may have opened (a job queued, a job finished, every sweep), [`Scheduler::fill`] claims slots
//! for the waiting jobs of that key, highest tier then oldest first, and publishes their run
//! commands. A claimed slot is committed before the publish; a run command not yet acknowledged
//! is owed (`published IS NULL`) and published again with the same `Nats-Msg-Id` by the next
//! delivery or sweep.

use std::net::IpAddr;

use bencher_db::queries::scheduler::{
    Claim, Enqueued, NewSchedule, SlotLimit, claim, enqueue, job_context, job_schedule,
    mark_published, waiting,
};
use bencher_runtime::publish_deduplicated;
use bencher_wire::Priority;
use bencher_wire::ids::JobUuid;
use bencher_wire::image::PinnedImage;
use bencher_wire::json::JsonSpec;
use bencher_wire::msg::SchemaV1;
/// How long a runner's pull token is valid: enough to pull, not to keep.
const RUNNER_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(600);

use bencher_wire::msg::{JobConfig, JobEvent, JobEventMessage, RegistryAccess, RunJob};
use bencher_wire::status::{FailureReason, JobStatus};
use bencher_wire::values::Timeout;
use chrono::Utc;

use crate::Scheduler;
use crate::error::SchedulerError;

/// What the resolver fixed for a job (the `resolved` event).
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub(crate) image: PinnedImage,
    pub(crate) registry: String,
    pub(crate) registry_plain_http: bool,
    pub(crate) spec: JsonSpec,
    pub(crate) priority: Priority,
    pub(crate) timeout: Timeout,
}

/// Jobs claimed per round of [`Scheduler::fill`].
const FILL_BATCH: u64 = 16;

impl Scheduler {
    /// `resolved`: queue the job as `pending`, then fill its slot.
    pub(crate) async fn on_resolved(
        &self,
        job: JobUuid,
        resolved: Resolved,
    ) -> Result<(), SchedulerError> {
        let Some(context) = job_context(&self.db, job).await? else {
            tracing::warn!(%job, "resolved event for an unknown job");
            return Ok(());
        };
        if let Some(row) = context.schedule {
            // A repeated delivery: only what an earlier one left owed remains.
            self.publish_owed(&row).await?;
            return self
                .fill(row.slot_key, Priority::from_value(row.tier))
                .await;
        }
        let config: JobConfig = match serde_json::from_value(context.job.config.clone()) {
            Ok(config) => config,
            Err(e) => {
                let reason = FailureReason::Internal {
                    message: format!("the job's stored configuration is unreadable: {e}"),
                };
                let from = [JobStatus::Requested, JobStatus::Pending];
                return self.fail(job, &from, reason, None, None).await;
            }
        };
        let source_ip = context
            .job
            .source_ip
            .as_deref()
            .and_then(|ip| ip.parse::<IpAddr>().ok());
        let slot_key = self.slot_key(resolved.priority, context.job.organization_id, source_ip);
        let now = Utc::now();
        let run = RunJob {
            schema: SchemaV1,
            job,
            attempt: 0,
            report: context.report,
            project: context.project,
            tier: resolved.priority,
            image: resolved.image,
            registry: RegistryAccess {
                registry: resolved.registry,
                plain_http: resolved.registry_plain_http,
                // Pull tokens come with the built-in registry; until then pulls are anonymous.
                token: String::new(),
                expires_at: now,
            },
            spec: resolved.spec,
            config,
            timeout: resolved.timeout,
            output_limits: self.options.output_limits,
            heartbeat_interval_ms: u32::try_from(self.options.heartbeat_interval.as_millis())
                .unwrap_or(1000),
            dispatched_at: now,
        };
        let new = NewSchedule {
            job,
            slot_key,
            tier: resolved.priority,
            spec_slug: run.spec.slug.to_string(),
            timeout_secs: i32::try_from(resolved.timeout.get()).unwrap_or(i32::MAX),
            run: serde_json::to_value(&run)?,
        };
        match enqueue(&self.db, new).await? {
            Enqueued::Queued(row) => {
                tracing::info!(%job, tier = %resolved.priority, spec = %row.spec_slug, "job pending");
                self.publish_owed(&row).await?;
                self.fill(row.slot_key, resolved.priority).await
            }
            Enqueued::NotPending(status, _) => {
                tracing::info!(%job, %status, "resolved job is no longer waiting, not queued");
                Ok(())
            }
            Enqueued::Missing => Ok(()),
        }
    }

    /// The concurrency key of a job; `None` when its tier is unlimited.
    fn slot_key(
        &self,
        tier: Priority,
        organization_id: i64,
        source_ip: Option<IpAddr>,
    ) -> Option<String> {
        self.options.limit(tier)?;
        Some(match (tier, source_ip) {
            (Priority::Unclaimed, Some(ip)) => format!("unclaimed:ip:{ip}"),
            _ => format!("{tier}:org:{organization_id}"),
        })
    }

    /// Dispatches waiting jobs of `key` while it has free slots (`None`: the unlimited tiers).
    pub(crate) async fn fill(
        &self,
        key: Option<String>,
        tier: Priority,
    ) -> Result<(), SchedulerError> {
        loop {
            let rows = waiting(&self.db, key.as_deref(), FILL_BATCH).await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut dispatched = false;
            for row in rows {
                let slot = match (key.as_deref(), self.options.limit(tier)) {
                    (Some(key), Some(limit)) => Some(SlotLimit { key, limit }),
                    _ => None,
                };
                match claim(&self.db, row.job_id, slot).await? {
                    Claim::Claimed(row) => {
                        dispatched = true;
                        self.publish_owed(&row).await?;
                    }
                    Claim::NoRoom => return Ok(()),
                    Claim::NotEligible => {}
                }
            }
            if !dispatched {
                return Ok(());
            }
        }
    }

    /// Publishes the run command and `job.dispatched` of `row`'s attempt if it holds a slot and
    /// they were not acknowledged yet, then records them as published.
    pub(crate) async fn publish_owed(
        &self,
        row: &job_schedule::Model,
    ) -> Result<(), SchedulerError> {
        let Some(dispatched_at) = row.dispatched else {
            return Ok(());
        };
        if row.published.is_some() || row.finished.is_some() {
            return Ok(());
        }
        let attempt = u32::try_from(row.attempt).unwrap_or(0);
        let mut run: RunJob = serde_json::from_value(row.run.clone())?;
        run.attempt = attempt;
        run.dispatched_at = dispatched_at;
        run.registry.expires_at = dispatched_at
            + run.timeout.as_duration()
            + self.options.grace
            + std::time::Duration::from_secs(3600);
        if let Some((token, expires_at)) = self.pull_token(&run)? {
            run.registry.token = token;
            run.registry.expires_at = expires_at;
        }
        let subjects = self.ctx.subjects();
        let job = run.job;
        let published = publish_deduplicated(
            &self.ctx.js,
            &run.subject(subjects),
            &run.msg_id(),
            serde_json::to_vec(&run)?.into(),
            None,
        )
        .await?;
        let mut event = JobEventMessage::new(
            job,
            JobEvent::Dispatched {
                spec: run.spec.slug.clone(),
                tier: run.tier,
                attempt,
            },
        );
        event.at = dispatched_at;
        self.publish_event(&event).await?;
        mark_published(&self.db, row.job_id, row.attempt, published.sequence).await?;
        tracing::info!(%job, attempt, spec = %run.spec.slug, tier = %run.tier, "job dispatched");
        Ok(())
    }

    /// A pull-only token for the job's repository when the image lives in the built-in registry
    /// and its auth is on (`registry.token_secret`): minted at dispatch, so a job that waited in
    /// the queue still gets a fresh one. `None` for external registries (their credentials are
    /// not ours to hand out) and when auth is off.
    fn pull_token(
        &self,
        run: &RunJob,
    ) -> Result<Option<(String, chrono::DateTime<Utc>)>, SchedulerError> {
        let config = &self.ctx.config;
        let Some(secret) = config.registry.token_secret.as_deref() else {
            return Ok(None);
        };
        if run.registry.registry != config.http.listen.to_string() {
            return Ok(None);
        }
        let access = vec![bencher_oci::token::Access::pull(run.image.repository())];
        let subject = format!("job:{}", run.job);
        let token = bencher_oci::token::mint(secret, &subject, access, RUNNER_TOKEN_TTL.as_secs())?;
        Ok(Some((token, Utc::now() + RUNNER_TOKEN_TTL)))
    }

    /// Publishes a job event with its wire `Nats-Msg-Id`.
    pub(crate) async fn publish_event(
        &self,
        event: &JobEventMessage,
    ) -> Result<(), SchedulerError> {
        publish_deduplicated(
            &self.ctx.js,
            &event.subject(self.ctx.subjects()),
            &event.msg_id(),
            serde_json::to_vec(event)?.into(),
            None,
        )
        .await?;
        Ok(())
    }
}
