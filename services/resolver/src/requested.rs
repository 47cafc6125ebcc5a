//! The `job.requested` handler: registry check, spec, tier, timeout, digest; then `job.resolved`
//! or `job.failed`.

use async_nats::jetstream::{self, Message};
use bencher_db::queries::job::job_by_uuid;
use bencher_db::queries::resolver::{
    Resolution, organization_by_uuid, record_resolution, spec_by_id, testbed_by_uuid,
};
use bencher_db::{DatabaseConnection, DbError, entities::job, parse_job_status};
use std::time::Duration;

use bencher_oci::{Credentials, OciError, RegistryClient, RegistryConfig};
use bencher_runtime::{Handler, HandlerError, publish_deduplicated};
use bencher_wire::Priority;
use bencher_wire::ids::JobUuid;
use bencher_wire::image::{Digest, ImageReference};
use bencher_wire::msg::{JobEvent, JobEventMessage};
use bencher_wire::nats::Subjects;
use bencher_wire::status::{FailureReason, FailureStage, JobStatus};
use bencher_wire::values::Timeout;
use bytes::Bytes;
use tracing::{info, instrument, warn};

use crate::policy::{RegistryPolicy, RegistryTarget, tier_timeout};
use crate::spec::{choose_spec, json_spec, platform};

/// Resolves requested jobs. Stateless between messages: any number of replicas share one
/// durable consumer.
pub(crate) struct Requested {
    pub(crate) db: DatabaseConnection,
    pub(crate) js: jetstream::Context,
    pub(crate) subjects: Subjects,
    pub(crate) policy: RegistryPolicy,
    pub(crate) client: RegistryClient,
    /// `registry.token_secret`: when set, the built-in registry checks tokens, and the resolver
    /// asks it with a pull-only token of its own for the job's repository.
    pub(crate) builtin_token_secret: Option<String>,
    /// The consumer's `max_deliver`: on that delivery a registry outage fails the job.
    pub(crate) max_deliver: i64,
}

impl Handler for Requested {
    #[instrument(skip_all, fields(subject = %msg.subject))]
    async fn handle(&self, msg: &Message) -> Result<(), HandlerError> {
        let event: JobEventMessage = serde_json::from_slice(&msg.payload)
            .map_err(|e| HandlerError::poison(format!("malformed job event: {e}")))?;
        let delivered = msg.info().map_or(1, |info| info.delivered);
        self.resolve(&event, delivered).await
    }

    async fn on_poison(&self, msg: &Message, reason: &str) {
        let Some(job) = job_of(msg) else {
            warn!(subject = %msg.subject, "poison message names no job");
            return;
        };
        let reason = FailureReason::Internal {
            message: format!("the resolver could not handle the request: {reason}"),
        };
        if let Err(e) = self.fail(job, reason).await {
            warn!(job = %job, error = %e, "failed event not published");
        }
    }
}

impl Requested {
    /// A client carrying a pull-only token for `image`'s repository, for the built-in registry
    /// when its auth is on; `None` otherwise (the shared anonymous client is used).
    fn builtin_client(
        &self,
        target: &RegistryTarget,
        image: &ImageReference,
    ) -> Result<Option<RegistryClient>, HandlerError> {
        let Some(secret) = self
            .builtin_token_secret
            .as_deref()
            .filter(|_| target.builtin)
        else {
            return Ok(None);
        };
        let access = vec![bencher_oci::token::Access::pull(image.repository())];
        let token = bencher_oci::token::mint(secret, "resolver", access, 60)
            .map_err(|e| HandlerError::poison(format!("signing the resolver's token: {e}")))?;
        let client = RegistryClient::new(RegistryConfig {
            insecure_registries: vec![target.host.clone()],
            credentials: Credentials::Bearer(token),
            connect_timeout: Some(Duration::from_secs(5)),
            read_timeout: Some(Duration::from_secs(30)),
        })
        .map_err(HandlerError::transient)?;
        Ok(Some(client))
    }

    async fn resolve(&self, event: &JobEventMessage, delivered: i64) -> Result<(), HandlerError> {
        let job_id = event.job;
        let JobEvent::Requested {
            organization,
            testbed,
            priority: asked_priority,
            image,
            spec,
            timeout,
            ..
        } = &event.event
        else {
            return Err(HandlerError::poison(format!(
                "expected a requested event, got {}",
                event.kind()
            )));
        };
        let Some(job) = job_by_uuid(&self.db, job_id).await.map_err(db_error)? else {
            return Err(HandlerError::poison(format!("job {job_id} does not exist")));
        };
        if job.digest.is_some() {
            // Resolved before (a redelivery, or another replica): the same event again.
            return self.republish(job_id, image, &job).await;
        }
        if parse_job_status(&job.status).map_err(db_error)? != JobStatus::Requested {
            info!(job = %job_id, status = %job.status, "job left requested before resolution");
            return Ok(());
        }

        // Refuse a registry that is not allowed before anything contacts it.
        let target = match self.policy.target(image) {
            Ok(target) => target,
            Err(refused) => {
                let message = refused.to_string();
                return self
                    .fail(job_id, FailureReason::Resolution { message })
                    .await;
            }
        };
        let testbed = testbed_by_uuid(&self.db, *testbed)
            .await
            .map_err(db_error)?;
        let chosen = match choose_spec(&self.db, spec.as_ref(), testbed.as_ref())
            .await
            .map_err(db_error)?
        {
            Ok(chosen) => chosen,
            Err(reason) => return self.fail(job_id, reason).await,
        };
        let spec = match json_spec(&chosen.model) {
            Ok(spec) => spec,
            Err(message) => return self.fail(job_id, FailureReason::Internal { message }).await,
        };
        let priority = organization_by_uuid(&self.db, *organization)
            .await
            .map_err(db_error)?
            .map_or(*asked_priority, |org| Priority::from_value(org.priority));
        let (timeout, clamped_from) =
            tier_timeout(priority, *timeout).map_err(HandlerError::poison)?;
        if let Some(asked) = clamped_from {
            info!(job = %job_id, %asked, %timeout, tier = %priority, "timeout above the tier's maximum, clamped");
        }

        let reference = registry_reference(&target, image);
        let builtin_client = self.builtin_client(&target, image)?;
        let client = builtin_client.as_ref().unwrap_or(&self.client);
        let resolved = match client
            .resolve(&reference, &platform(spec.architecture))
            .await
        {
            Ok(resolved) => resolved,
            Err(e) if e.is_transient() && !self.last_delivery(delivered) => {
                return Err(HandlerError::transient(e));
            }
            Err(e) if e.is_transient() => {
                let message = format!("{e} (gave up after {delivered} attempts)");
                return self
                    .fail(job_id, FailureReason::Resolution { message })
                    .await;
            }
            Err(e @ (OciError::RepositoryNotFound { .. } | OciError::ManifestNotFound { .. })) => {
                info!(job = %job_id, error = %e, "image not found");
                let reason = FailureReason::ImageNotFound {
                    image: image.clone(),
                };
                return self.fail(job_id, reason).await;
            }
            Err(e) => {
                let message = e.to_string();
                return self
                    .fail(job_id, FailureReason::Resolution { message })
                    .await;
            }
        };
        let digest = Digest::parse(&resolved.digest.to_string()).map_err(HandlerError::poison)?;
        let resolution = Resolution {
            digest: digest.to_string(),
            spec_id: chosen.model.id,
            priority,
            timeout: i32::try_from(timeout.get()).map_err(HandlerError::poison)?,
            testbed_id: testbed.filter(|_| chosen.explicit).map(|t| t.id),
        };
        if !record_resolution(&self.db, job_id, &resolution)
            .await
            .map_err(db_error)?
        {
            // Another delivery or replica won the race, or the job ended meanwhile.
            return match job_by_uuid(&self.db, job_id).await.map_err(db_error)? {
                Some(job) if job.digest.is_some() => self.republish(job_id, image, &job).await,
                _ => Ok(()),
            };
        }
        info!(job = %job_id, %digest, spec = %spec.slug, tier = %priority, %timeout, "job resolved");
        let event = JobEvent::Resolved {
            image: image.pin(digest),
            registry: target.host,
            registry_plain_http: target.plain_http,
            spec,
            priority,
            timeout,
        };
        self.publish(JobEventMessage::new(job_id, event)).await
    }

    /// Publishes `resolved` again from what is stored: same content and msg id, so the stream
    /// keeps the first copy.
    async fn republish(
        &self,
        job_id: JobUuid,
        image: &ImageReference,
        job: &job::Model,
    ) -> Result<(), HandlerError> {
        let stored =
            |what: &str| HandlerError::poison(format!("job {job_id} has an invalid stored {what}"));
        let digest = job
            .digest
            .as_deref()
            .and_then(|d| Digest::parse(d).ok())
            .ok_or_else(|| stored("digest"))?;
        let spec_id = job.spec_id.ok_or_else(|| stored("spec"))?;
        let model = spec_by_id(&self.db, spec_id)
            .await
            .map_err(db_error)?
            .ok_or_else(|| stored("spec"))?;
        let spec = json_spec(&model).map_err(HandlerError::poison)?;
        let timeout = u64::try_from(job.timeout)
            .ok()
            .and_then(|t| Timeout::new(t).ok())
            .ok_or_else(|| stored("timeout"))?;
        let target = match self.policy.target(image) {
            Ok(target) => target,
            Err(refused) => {
                let message = refused.to_string();
                return self
                    .fail(job_id, FailureReason::Resolution { message })
                    .await;
            }
        };
        info!(job = %job_id, "job already resolved, publishing the same event");
        let event = JobEvent::Resolved {
            image: image.pin(digest),
            registry: target.host,
            registry_plain_http: target.plain_http,
            spec,
            priority: Priority::from_value(job.priority),
            timeout,
        };
        self.publish(JobEventMessage::new(job_id, event)).await
    }

    /// Whether this is the consumer's last delivery of the message.
    fn last_delivery(&self, delivered: i64) -> bool {
        self.max_deliver > 0 && delivered >= self.max_deliver
    }

    /// Publishes `job.failed` at the resolution stage; the scheduler records it.
    async fn fail(&self, job: JobUuid, reason: FailureReason) -> Result<(), HandlerError> {
        info!(job = %job, reason = %reason, "job failed at resolution");
        let event = JobEvent::Failed {
            stage: FailureStage::Resolution,
            reason,
            runner: None,
            attempt: None,
            results: Vec::new(),
        };
        self.publish(JobEventMessage::new(job, event)).await
    }

    async fn publish(&self, msg: JobEventMessage) -> Result<(), HandlerError> {
        let payload = serde_json::to_vec(&msg).map_err(HandlerError::poison)?;
        let published = publish_deduplicated(
            &self.js,
            &msg.subject(&self.subjects),
            &msg.msg_id(),
            Bytes::from(payload),
            None,
        )
        .await
        .map_err(HandlerError::transient)?;
        if published.duplicate {
            info!(job = %msg.job, event = %msg.kind(), "event already published");
        }
        Ok(())
    }
}

/// `host/repository@digest` or `host/repository:tag` (the default tag when none is named).
fn registry_reference(target: &RegistryTarget, image: &ImageReference) -> String {
    match image.digest() {
        Some(digest) => format!("{}/{}@{digest}", target.host, image.repository()),
        None => format!(
            "{}/{}:{}",
            target.host,
            image.repository(),
            image.tag_or_default()
        ),
    }
}

/// The job a message is about: from its payload, else from its subject (`...job.<job>.<event>`).
fn job_of(msg: &Message) -> Option<JobUuid> {
    #[derive(serde::Deserialize)]
    struct JobOnly {
        job: JobUuid,
    }
    if let Ok(only) = serde_json::from_slice::<JobOnly>(&msg.payload) {
        return Some(only.job);
    }
    msg.subject.split('.').rev().nth(1)?.parse().ok()
}

fn db_error(e: DbError) -> HandlerError {
    if e.is_transient() {
        HandlerError::transient(e)
    } else {
        HandlerError::poison(e)
    }
}
