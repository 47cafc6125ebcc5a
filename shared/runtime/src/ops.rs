//! Operations endpoints every process serves: `/healthz`, `/readyz`, `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_nats::connection::State;
use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub use crate::metrics::Metrics;

/// What the health endpoints report: the services this process runs, its NATS connection and
/// whether it finished starting.
#[derive(Clone, Debug)]
pub struct HealthState {
    services: Arc<Vec<String>>,
    nats: Option<async_nats::Client>,
    ready: Arc<AtomicBool>,
}

impl HealthState {
    /// Health of a process running `services`, watching `nats` when it has a connection.
    pub fn new(services: Vec<String>, nats: Option<async_nats::Client>) -> Self {
        Self {
            services: Arc::new(services),
            nats,
            ready: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Marks the process ready (provisioned, consumers running) or not (draining).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// `connected`, `disconnected`, `pending`, or `none` without a client.
    pub fn nats_state(&self) -> &'static str {
        match self.nats.as_ref().map(async_nats::Client::connection_state) {
            None => "none",
            Some(State::Connected) => "connected",
            Some(State::Disconnected) => "disconnected",
            Some(State::Pending) => "pending",
        }
    }

    fn nats_ok(&self) -> bool {
        matches!(self.nats_state(), "connected" | "none")
    }
}

/// The body of `/healthz` and `/readyz`.
#[derive(Debug, Serialize)]
pub struct HealthBody {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// The services this process runs.
    pub services: Vec<String>,
    /// The NATS connection state.
    pub nats: &'static str,
    /// Whether the process finished starting.
    pub ready: bool,
}

fn body(health: &HealthState, ok: bool) -> Response {
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = HealthBody {
        status: if ok { "ok" } else { "unavailable" },
        services: health.services.to_vec(),
        nats: health.nats_state(),
        ready: health.ready.load(Ordering::SeqCst),
    };
    (status, Json(body)).into_response()
}

async fn healthz(Extract((health, _)): Extract<(HealthState, Metrics)>) -> Response {
    body(&health, health.nats_ok())
}

async fn readyz(Extract((health, _)): Extract<(HealthState, Metrics)>) -> Response {
    body(
        &health,
        health.nats_ok() && health.ready.load(Ordering::SeqCst),
    )
}

async fn metrics(Extract((_, metrics)): Extract<(HealthState, Metrics)>) -> Response {
    match metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `GET /healthz` (200 unless NATS is disconnected), `GET /readyz` (also 503 until ready),
/// `GET /metrics` (OpenMetrics text).
pub fn ops_router(health: HealthState, metrics: Metrics) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(self::metrics))
        .with_state((health, metrics))
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
