//! What every handler shares: the service context, the database, the addresses clients are told
//! and intake's options.

use std::sync::Arc;
use std::time::Duration;

use bencher_db::DatabaseConnection;
use bencher_runtime::{ServiceContext, Shutdown};
use bencher_wire::ids::JobUuid;
use bencher_wire::json::JsonWatch;
use bencher_wire::nats::Subjects;

/// The addresses clients are given to reach this deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublicUrls {
    /// The base URL of the HTTP API (`http://127.0.0.1:6610`), for `Location` headers.
    pub http: String,
    /// NATS servers clients may connect to; empty when NATS is not exposed to clients.
    pub nats: Vec<String>,
}

/// Intake's tunables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntakeOptions {
    /// Largest request body, in bytes; larger bodies are refused with 413.
    pub body_limit: usize,
    /// Take the client address from the first `X-Forwarded-For` entry (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// How long a creation event may stay unannounced before the outbox re-publishes it.
    pub outbox_after: Duration,
    /// How often the outbox looks.
    pub outbox_interval: Duration,
    /// How long one publish may take in a request before the outbox takes over.
    pub publish_deadline: Duration,
    /// Largest output read back from the outputs store for a job view, in bytes.
    pub output_read_limit: u64,
    /// Interval of SSE keep-alive comments.
    pub keep_alive: Duration,
}

impl Default for IntakeOptions {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024 * 1024,
            trust_forwarded_for: false,
            outbox_after: Duration::from_secs(10),
            outbox_interval: Duration::from_secs(5),
            publish_deadline: Duration::from_secs(5),
            // Bencher's output cap.
            output_read_limit: 25 * 1024 * 1024,
            keep_alive: Duration::from_secs(15),
        }
    }
}

/// The state of intake's router; cheap to clone.
#[derive(Clone, Debug)]
pub struct IntakeState {
    inner: Arc<Inner>,
}

#[derive(Clone, Debug)]
struct Inner {
    ctx: ServiceContext,
    db: DatabaseConnection,
    public: PublicUrls,
    options: IntakeOptions,
    shutdown: Shutdown,
}

impl IntakeState {
    /// State with default [`IntakeOptions`].
    pub fn new(ctx: ServiceContext, db: DatabaseConnection, public: PublicUrls) -> Self {
        Self::with_options(ctx, db, public, IntakeOptions::default())
    }

    /// State with explicit options.
    pub fn with_options(
        ctx: ServiceContext,
        db: DatabaseConnection,
        public: PublicUrls,
        options: IntakeOptions,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                ctx,
                db,
                public,
                options,
                shutdown: Shutdown::new(),
            }),
        }
    }

    /// The same state, whose long-lived responses (server-sent events) end when `shutdown`
    /// trips, so a graceful shutdown of the listener does not wait for them.
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        Arc::make_mut(&mut self.inner).shutdown = shutdown;
        self
    }

    /// The shutdown switch of long-lived responses.
    pub fn shutdown(&self) -> &Shutdown {
        &self.inner.shutdown
    }

    /// The service context.
    pub fn ctx(&self) -> &ServiceContext {
        &self.inner.ctx
    }

    /// The database.
    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    /// The public addresses.
    pub fn public(&self) -> &PublicUrls {
        &self.inner.public
    }

    /// The options.
    pub fn options(&self) -> &IntakeOptions {
        &self.inner.options
    }

    /// The subject builder.
    pub fn subjects(&self) -> &Subjects {
        self.inner.ctx.subjects()
    }

    /// How a client follows `job` of `project` (a slug or UUID as the client named it).
    pub fn watch(&self, project: &str, job: JobUuid) -> JsonWatch {
        let subjects = self.subjects();
        JsonWatch {
            nats_urls: self.inner.public.nats.clone(),
            nats_credentials: None,
            status_subject: subjects.status(job),
            log_subject: subjects.log(job),
            status_bucket: self.inner.ctx.topology.job_status_kv().bucket,
            status_key: job.to_string(),
            events_url: format!("/v0/projects/{project}/jobs/{job}/events"),
        }
    }
}
