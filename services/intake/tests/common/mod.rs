//! Intake in-process on 127.0.0.1:0 against a real nats-server and a real database, with a
//! reqwest client and helpers to read what intake published.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use bencher_db::DatabaseConnection;
use bencher_intake::{IntakeError, IntakeOptions, IntakeState, PublicUrls};
use bencher_runtime::{Config, Metrics, ServiceContext, Shutdown, provision};
use bencher_testkit::db::{Backend, TestDb};
use bencher_testkit::nats::NatsServer;
use futures::StreamExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// nats-server, a database and a serving intake.
pub struct Stack {
    pub ctx: ServiceContext,
    pub db: DatabaseConnection,
    pub state: IntakeState,
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub nats: NatsServer,
    shutdown: Shutdown,
    task: Option<JoinHandle<Result<(), IntakeError>>>,
    test_db: Option<TestDb>,
}

impl Stack {
    /// Intake on SQLite with default options (and an outbox that waits long enough not to
    /// interfere unless a test asks).
    pub async fn start() -> Result<Self> {
        Self::start_with(Backend::Sqlite, |o| o).await
    }

    /// Intake on `backend` with options adjusted by `tune`.
    pub async fn start_with(
        backend: Backend,
        tune: impl FnOnce(IntakeOptions) -> IntakeOptions,
    ) -> Result<Self> {
        // reqwest is built without a default TLS provider in this workspace.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let nats = NatsServer::start().await?;
        let test_db = TestDb::new(backend).await?;
        let mut config = Config::default();
        config.nats.urls = vec![nats.url()];
        let client = async_nats::connect(nats.url()).await?;
        let ctx = ServiceContext::new(Arc::new(config), client, Metrics::new())?;
        provision(&ctx.js, &ctx.topology).await?;
        let options = tune(IntakeOptions {
            outbox_after: Duration::from_secs(3600),
            outbox_interval: Duration::from_secs(3600),
            keep_alive: Duration::from_millis(200),
            ..IntakeOptions::default()
        });
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let public = PublicUrls {
            http: format!("http://{addr}"),
            nats: vec![nats.url()],
        };
        let db = test_db.conn().clone();
        let state = IntakeState::with_options(ctx.clone(), db.clone(), public, options);
        let shutdown = Shutdown::new();
        let task = tokio::spawn(bencher_intake::serve(
            state.clone(),
            listener,
            shutdown.clone(),
        ));
        Ok(Self {
            ctx,
            db,
            state,
            addr,
            http: reqwest::Client::new(),
            nats,
            shutdown,
            task: Some(task),
            test_db: Some(test_db),
        })
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POST `body` as JSON to `path`.
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Result<reqwest::Response> {
        Ok(self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body)?)
            .send()
            .await?)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Result<reqwest::Response> {
        Ok(self.http.get(self.url(path)).send().await?)
    }

    /// Every message stored on `subject` in the events stream, with its `Nats-Msg-Id`.
    pub async fn events_on(&self, subject: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let stream = self
            .ctx
            .js
            .get_stream(self.ctx.topology.events_stream().name)
            .await?;
        let consumer = stream
            .create_consumer(pull::Config {
                filter_subject: subject.to_owned(),
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await?;
        let mut consumer = consumer;
        let pending = consumer.info().await?.num_pending;
        let mut out = Vec::new();
        if pending == 0 {
            return Ok(out);
        }
        let mut messages = consumer
            .fetch()
            .max_messages(usize::try_from(pending)?)
            .expires(Duration::from_secs(2))
            .messages()
            .await?;
        while let Some(message) = messages.next().await {
            let message = message.map_err(|e| anyhow::anyhow!(e))?;
            let id = message
                .headers
                .as_ref()
                .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
                .map(|v| v.as_str().to_owned())
                .context("message without Nats-Msg-Id")?;
            out.push((id, serde_json::from_slice(&message.payload)?));
            message.ack().await.map_err(|e| anyhow::anyhow!(e))?;
        }
        Ok(out)
    }

    /// Stop intake and drop the database.
    pub async fn stop(mut self) -> Result<()> {
        self.shutdown.trigger();
        if let Some(task) = self.task.take() {
            task.await??;
        }
        if let Some(db) = self.test_db.take() {
            db.cleanup().await?;
        }
        Ok(())
    }
}

/// A new run with an image job.
pub fn image_run(project: &str) -> serde_json::Value {
    serde_json::json!({
        "project": project,
        "branch": "main",
        "testbed": "ci",
        "settings": {"adapter": "json"},
        "job": {
            "image": "127.0.0.1:5000/bench:v1",
            "env": ["MODE=fast"],
            "timeout": 30,
            "iter": 2
        }
    })
}
