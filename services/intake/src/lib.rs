//! The intake service: the HTTP API of the run flow (Bencher-compatible `/v0`).
//!
//! Layout:
//! - [`router`], [`run`], [`serve`]: the routes, the standalone server, serving a given listener.
//! - [`state`]: [`IntakeState`] (context, database, [`PublicUrls`], [`IntakeOptions`]).
//! - [`error`]: [`IntakeError`], mapped to a status and a `JsonError` body in one place.
//! - [`extract`]: JSON bodies with a size limit and field paths in errors; the client address.
//! - [`run`](mod@run): `POST /v0/run`.
//! - [`jobs`]: list, view and cancel jobs; [`reports`]: view a report; [`events`]: server-sent
//!   events of a job's status and log lines.
//! - [`thresholds`]: threshold CRUD; [`alerts`]: list, view and dismiss alerts.
//! - [`announce`]: the `job.requested` / `report.submitted` events built from committed rows;
//!   [`outbox`]: re-publishes rows committed but never announced.
//! - [`view`], [`output`]: rows to JSON; job outputs read back from the outputs store.
//! - [`registry`]: the built-in OCI registry (distribution API v1.1) under `/v2/`.
//!
//! Routes:
//!
//! | Method and path | Answer |
//! |---|---|
//! | `POST /v0/run` | 201 `JsonReport` (`job.watch` tells how to follow the job) |
//! | `GET /v0/projects/{p}/jobs?page=&per_page=` | `[JsonJob]`, newest first, `X-Total-Count` |
//! | `GET /v0/projects/{p}/jobs/{j}[?output=false]` | `JsonJob` (output once finished) |
//! | `POST /v0/projects/{p}/jobs/{j}/cancel` | 202 `JsonJob`; 409 when already finished |
//! | `GET /v0/projects/{p}/jobs/{j}/events` | `text/event-stream`: `status`, `log`, `end` |
//! | `GET /v0/projects/{p}/reports/{r}` | `JsonReport` with results, boundaries, alerts |
//! | `GET`/`POST /v0/projects/{p}/thresholds`, `GET`/`PUT`/`DELETE .../thresholds/{t}` | see [`thresholds`] |
//! | `GET /v0/projects/{p}/alerts[?status=]`, `GET`/`PATCH .../alerts/{a}` | see [`alerts`] |

pub mod alerts;
pub mod announce;
pub mod error;
pub mod events;
pub mod extract;
pub mod jobs;
pub mod outbox;
pub mod output;
pub mod registry;
pub mod reports;
pub mod run;
pub mod state;
pub mod thresholds;
pub mod view;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};
use bencher_db::DatabaseConnection;
use bencher_runtime::{ServiceContext, Shutdown};
use tokio::net::TcpListener;
use tracing::info;

pub use error::IntakeError;
pub use outbox::run_outbox;
pub use state::{IntakeOptions, IntakeState, PublicUrls};

/// Intake's routes. Serve them with connect info
/// (`into_make_service_with_connect_info::<SocketAddr>()`) so jobs record the client address.
pub fn router(state: IntakeState) -> Router {
    Router::new()
        .route("/v0/run", post(run::post_run))
        .route("/v0/projects/{project}/jobs", get(jobs::list))
        .route("/v0/projects/{project}/jobs/{job}", get(jobs::view))
        .route(
            "/v0/projects/{project}/jobs/{job}/cancel",
            post(jobs::cancel),
        )
        .route(
            "/v0/projects/{project}/jobs/{job}/events",
            get(events::events),
        )
        .route(
            "/v0/projects/{project}/reports/{report}",
            get(reports::view),
        )
        .route(
            "/v0/projects/{project}/thresholds",
            get(thresholds::list).post(thresholds::create),
        )
        .route(
            "/v0/projects/{project}/thresholds/{threshold}",
            get(thresholds::view)
                .put(thresholds::update)
                .delete(thresholds::delete),
        )
        .route("/v0/projects/{project}/alerts", get(alerts::list))
        .route(
            "/v0/projects/{project}/alerts/{alert}",
            get(alerts::view).patch(alerts::update),
        )
        .with_state(state.clone())
        .merge(registry::router(state))
}

/// Serve intake alone on `ctx.config.http.listen`, with the outbox, until `shutdown` trips.
/// Clients are told the listen address and the configured NATS URLs.
pub async fn run(
    ctx: ServiceContext,
    db: DatabaseConnection,
    shutdown: Shutdown,
) -> Result<(), IntakeError> {
    let listen = ctx.config.http.listen;
    let public = PublicUrls {
        http: format!("http://{listen}"),
        nats: ctx.config.nats.urls.clone(),
    };
    let state = IntakeState::new(ctx, db, public);
    let listener = TcpListener::bind(listen).await?;
    serve(state, listener, shutdown).await
}

/// Serve intake on `listener`, with the outbox, until `shutdown` trips.
pub async fn serve(
    state: IntakeState,
    listener: TcpListener,
    shutdown: Shutdown,
) -> Result<(), IntakeError> {
    let state = state.with_shutdown(shutdown.clone());
    info!(addr = %listener.local_addr()?, "intake listening");
    let outbox = tokio::spawn(run_outbox(state.clone(), shutdown.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.wait())
        .await;
    shutdown.trigger();
    let _ = outbox.await;
    Ok(served?)
}
