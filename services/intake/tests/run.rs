//! `POST /v0/run` against a real nats-server and a real database: the answer, the rows, the
//! published event and its `Nats-Msg-Id`, validation errors, and the outbox after a crash.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use bencher_db::queries::intake::outbox::unannounced_jobs;
use bencher_db::queries::job::job_by_uuid;
use bencher_intake::outbox::republish_once;
use bencher_testkit::db::Backend;
use bencher_wire::Priority;
use bencher_wire::json::{JsonError, JsonReport};
use bencher_wire::msg::{JobEvent, JobEventMessage, ReportEvent, ReportEventMessage};
use bencher_wire::nats::{JobEventKind, ReportEventKind};
use bencher_wire::status::JobStatus;
use common::{Stack, image_run};
use sea_orm::ConnectionTrait;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn run_with_a_job_is_created_and_announced(stack: &Stack) -> anyhow::Result<()> {
    let response = stack.post("/v0/run", &image_run("demo")).await?;
    assert_eq!(response.status(), 201);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()?
        .to_owned();
    let report: JsonReport = response.json().await?;
    assert_eq!(
        location,
        stack.url(&format!("/v0/projects/demo/reports/{}", report.uuid))
    );
    assert_eq!(report.project.slug.as_str(), "demo");
    assert_eq!(report.branch.slug.as_str(), "main");
    assert_eq!(report.testbed.slug.as_str(), "ci");
    assert_eq!(report.adapter.as_str(), "json");
    assert!(report.results.is_empty() && report.alerts.is_empty());
    let job = report.job.expect("an image run answers with its job");
    assert_eq!(job.report, report.uuid);
    assert_eq!(job.status, JobStatus::Requested);
    // An anonymous run creates an unclaimed project.
    assert_eq!(job.priority, Priority::Unclaimed);
    assert_eq!(job.timeout.get(), 30);
    let watch = job.watch.expect("the answer tells how to watch the job");
    let subjects = stack.ctx.subjects();
    assert_eq!(watch.status_subject, subjects.status(job.uuid));
    assert_eq!(watch.log_subject, subjects.log(job.uuid));
    assert_eq!(
        watch.status_bucket,
        stack.ctx.topology.job_status_kv().bucket
    );
    assert_eq!(watch.status_key, job.uuid.to_string());
    assert_eq!(watch.nats_urls, vec![stack.nats.url()]);
    assert_eq!(
        watch.events_url,
        format!("/v0/projects/demo/jobs/{}/events", job.uuid)
    );

    let row = job_by_uuid(&stack.db, job.uuid).await?.unwrap();
    assert_eq!(row.status, "requested");
    assert_eq!(row.source_ip.as_deref(), Some("127.0.0.1"));

    let events = stack
        .events_on(&subjects.job_event(job.uuid, JobEventKind::Requested))
        .await?;
    assert_eq!(events.len(), 1);
    let (msg_id, payload) = &events[0];
    assert_eq!(msg_id, &format!("{}:requested", job.uuid));
    let message: JobEventMessage = serde_json::from_value(payload.clone())?;
    assert_eq!(message.msg_id(), *msg_id);
    let JobEvent::Requested {
        report: event_report,
        project,
        priority,
        source_ip,
        image,
        timeout,
        settings,
        config,
        ..
    } = message.event
    else {
        panic!("not a requested event: {payload}");
    };
    assert_eq!(event_report, report.uuid);
    assert_eq!(project, report.project.uuid);
    assert_eq!(priority, Priority::Unclaimed);
    assert_eq!(
        source_ip.map(|ip| ip.to_string()).as_deref(),
        Some("127.0.0.1")
    );
    assert_eq!(image.to_string(), "127.0.0.1:5000/bench:v1");
    assert_eq!(timeout.map(|t| t.get()), Some(30));
    assert_eq!(settings.adapter.map(|a| a.as_str()), Some("json"));
    assert_eq!(config.iter.get(), 2);
    assert_eq!(config.env.unwrap().as_slice()[0].as_str(), "MODE=fast");
    // Announced: the outbox has nothing to do for it, even much later.
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(unannounced_jobs(&stack.db, later, 10).await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_a_job_on_sqlite() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    run_with_a_job_is_created_and_announced(&stack).await?;
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_a_job_on_postgres() -> anyhow::Result<()> {
    let stack = Stack::start_with(Backend::Postgres, |o| o).await?;
    run_with_a_job_is_created_and_announced(&stack).await?;
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_not_idempotent_but_the_outbox_replay_is() -> anyhow::Result<()> {
    let stack = Stack::start_with(Backend::Sqlite, |mut o| {
        o.outbox_after = Duration::ZERO;
        o
    })
    .await?;
    let body = image_run("twice");
    let first: JsonReport = stack.post("/v0/run", &body).await?.json().await?;
    let second: JsonReport = stack.post("/v0/run", &body).await?.json().await?;
    let (a, b) = (first.job.unwrap().uuid, second.job.unwrap().uuid);
    assert_ne!(a, b, "the same body twice is two runs");
    assert_eq!(first.project.uuid, second.project.uuid);
    let subjects = stack.ctx.subjects();
    let all = stack
        .events_on(&subjects.job_event_filter(JobEventKind::Requested))
        .await?;
    assert_eq!(all.len(), 2);

    // A crash between the PubAck and the `announced` stamp: the outbox publishes again, and
    // the stream keeps one copy.
    stack
        .db
        .execute_unprepared("UPDATE job SET announced = NULL")
        .await?;
    let pass = republish_once(&stack.state).await?;
    assert_eq!((pass.jobs, pass.duplicates), (2, 2));
    assert_eq!(
        stack
            .events_on(&subjects.job_event_filter(JobEventKind::Requested))
            .await?
            .len(),
        2
    );
    // Stamped again: the next pass has nothing to do.
    assert_eq!(republish_once(&stack.state).await?.jobs, 0);
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_accepted_while_nats_is_down_is_announced_by_the_outbox() -> anyhow::Result<()> {
    let mut stack = Stack::start_with(Backend::Sqlite, |mut o| {
        o.outbox_after = Duration::ZERO;
        o.outbox_interval = Duration::from_millis(200);
        o.publish_deadline = Duration::from_millis(300);
        o
    })
    .await?;
    stack.nats.kill().await?;
    let response = stack.post("/v0/run", &image_run("offline")).await?;
    assert_eq!(response.status(), 201, "committed runs are accepted");
    let report: JsonReport = response.json().await?;
    let job = report.job.unwrap().uuid;
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(unannounced_jobs(&stack.db, later, 10).await?.len(), 1);

    stack.nats.start_again().await?;
    let subject = stack.ctx.subjects().job_event(job, JobEventKind::Requested);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let events = stack.events_on(&subject).await.unwrap_or_default();
        if !events.is_empty() {
            assert_eq!(events.len(), 1);
            assert_eq!(events[0].0, format!("{job}:requested"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox never announced the job"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(unannounced_jobs(&stack.db, later, 10).await?.is_empty());
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_run_stores_results_and_publishes_submitted() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let bmf = r#"{"bench":{"latency":{"value":1.5}}}"#;
    let response = stack
        .post(
            "/v0/run",
            &json!({"project": "local", "results": [bmf], "settings": {"adapter": "json", "fold": "min"}}),
        )
        .await?;
    assert_eq!(response.status(), 201);
    let report: JsonReport = response.json().await?;
    assert!(report.job.is_none());
    assert_eq!(report.testbed.slug.as_str(), "localhost");
    let events = stack
        .events_on(
            &stack
                .ctx
                .subjects()
                .report_event(report.uuid, ReportEventKind::Submitted),
        )
        .await?;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, format!("{}:submitted", report.uuid));
    let message: ReportEventMessage = serde_json::from_value(events[0].1.clone())?;
    let ReportEvent::Submitted {
        results,
        adapter,
        fold,
        branch,
        ..
    } = message.event
    else {
        panic!("not a submitted event");
    };
    assert_eq!(results, vec![bmf.to_owned()]);
    assert_eq!(adapter.as_str(), "json");
    assert_eq!(fold.map(|f| f.as_str()), Some("min"));
    assert_eq!(branch, report.branch.uuid);

    // Results a NATS message could not carry are refused before anything is stored.
    let huge = "x".repeat(1024 * 1024 + 1);
    let response = stack
        .post("/v0/run", &json!({"project": "local", "results": [huge]}))
        .await?;
    assert_eq!(response.status(), 400);
    let err: JsonError = response.json().await?;
    assert_eq!(err.field.as_deref(), Some("results"));
    let submitted = stack
        .events_on(
            &stack
                .ctx
                .subjects()
                .report_event_filter(ReportEventKind::Submitted),
        )
        .await?;
    assert_eq!(submitted.len(), 1);
    stack.stop().await
}

async fn refused(stack: &Stack, body: Vec<u8>) -> anyhow::Result<(u16, JsonError)> {
    let response = stack
        .http
        .post(stack.url("/v0/run"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_runs_are_refused_naming_the_field() -> anyhow::Result<()> {
    let stack = Stack::start_with(Backend::Sqlite, |mut o| {
        o.body_limit = 64 * 1024;
        o
    })
    .await?;
    let (status, err) = refused(&stack, br#"{"project": "demo", "job": {"#.to_vec()).await?;
    assert_eq!((status, err.code.http_status()), (400, 400));
    assert_eq!(serde_json::to_value(err.code)?, "bad_request");

    let mut body = image_run("demo");
    body["job"]["spec"] = json!("Not A Slug");
    let (status, err) = refused(&stack, serde_json::to_vec(&body)?).await?;
    assert_eq!(status, 400);
    assert_eq!(err.field.as_deref(), Some("job.spec"));
    assert!(err.error.contains("invalid resource id"), "{}", err.error);

    let mut body = image_run("demo");
    body["job"]["env"] = json!((0..256).map(|i| format!("K{i}=v")).collect::<Vec<_>>());
    let (status, err) = refused(&stack, serde_json::to_vec(&body)?).await?;
    assert_eq!(status, 400);
    assert_eq!(err.field.as_deref(), Some("job.env"));
    assert!(err.error.contains("at most 255"), "{}", err.error);

    let mut body = image_run("demo");
    body["results"] = json!(["x"]);
    let (status, err) = refused(&stack, serde_json::to_vec(&body)?).await?;
    assert_eq!(status, 400);
    assert_eq!(err.field.as_deref(), Some("results"));

    // A body declared larger than the limit is refused before it is read. (Sent as raw HTTP
    // without the body: a server that refuses early may reset a connection whose unread body is
    // still arriving, which would make the client miss the answer.)
    let mut tcp = tokio::net::TcpStream::connect(stack.addr).await?;
    let request = format!(
        "POST /v0/run HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        stack.addr,
        64 * 1024 + 1
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    let mut buf = vec![0; 4096];
    while !answer.contains("payload_too_large") {
        let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await??;
        if n == 0 {
            break;
        }
        answer.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":"payload_too_large""#), "{answer}");

    let unknown = uuid::Uuid::now_v7();
    let mut body = image_run("demo");
    body["project"] = json!(unknown.to_string());
    let (status, err) = refused(&stack, serde_json::to_vec(&body)?).await?;
    assert_eq!(status, 404, "{}", err.error);
    assert!(err.error.contains(&unknown.to_string()));
    // Nothing was published for the refused runs.
    let requested = stack
        .events_on(
            &stack
                .ctx
                .subjects()
                .job_event_filter(JobEventKind::Requested),
        )
        .await?;
    assert!(requested.is_empty());
    stack.stop().await
}
