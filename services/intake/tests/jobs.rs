//! Jobs and reports over HTTP: listing with pagination, the job view with its output (inline
//! and from the outputs object store), cancel (published, idempotent, 409 when finished), and
//! the report view with the results, boundaries and alerts stored for it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::entities::{alert, boundary, model, report};
use bencher_db::queries::job::{JobFields, JobReason, job_transition};
use bencher_db::queries::metrics::{NewMetric, store_metrics};
use bencher_db::types::JobStatus as DbJobStatus;
use bencher_wire::json::{JsonError, JsonJob, JsonReport, ThresholdTest};
use bencher_wire::msg::{IterationResult, OutputRef};
use bencher_wire::nats::JobEventKind;
use bencher_wire::status::{FailureReason, JobStatus};
use common::{Stack, image_run};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

async fn submit(stack: &Stack, project: &str) -> anyhow::Result<JsonReport> {
    let response = stack.post("/v0/run", &image_run(project)).await?;
    assert_eq!(response.status(), 201);
    Ok(response.json().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_listed_newest_first_page_by_page() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let mut submitted = Vec::new();
    for _ in 0..3 {
        submitted.push(submit(&stack, "listing").await?.job.unwrap().uuid);
    }
    submit(&stack, "other").await?;
    let response = stack.get("/v0/projects/listing/jobs?per_page=2").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], "3");
    let page1: Vec<JsonJob> = response.json().await?;
    let page2: Vec<JsonJob> = stack
        .get("/v0/projects/listing/jobs?per_page=2&page=2")
        .await?
        .json()
        .await?;
    let listed: Vec<_> = page1.iter().chain(&page2).map(|j| j.uuid).collect();
    let newest_first: Vec<_> = submitted.iter().rev().copied().collect();
    assert_eq!(listed, newest_first);
    assert!(
        page1
            .iter()
            .all(|j| j.watch.is_some() && j.output.is_none())
    );

    let response = stack.get("/v0/projects/listing/jobs?per_page=0").await?;
    assert_eq!(response.status(), 400);
    let err: JsonError = response.json().await?;
    assert_eq!(err.field.as_deref(), Some("per_page"));
    let response = stack.get("/v0/projects/nope/jobs").await?;
    assert_eq!(response.status(), 404);
    let response = stack
        .get(&format!("/v0/projects/other/jobs/{}", submitted[0]))
        .await?;
    assert_eq!(response.status(), 404, "a job is found only in its project");
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_is_published_once_and_refused_when_finished() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let report = submit(&stack, "cancel").await?;
    let job = report.job.unwrap().uuid;
    let path = format!("/v0/projects/cancel/jobs/{job}/cancel");
    let subject = stack
        .ctx
        .subjects()
        .job_event(job, JobEventKind::CancelRequested);
    for _ in 0..2 {
        let response = stack.post(&path, &serde_json::json!({})).await?;
        assert_eq!(response.status(), 202);
        let body: JsonJob = response.json().await?;
        assert_eq!(body.uuid, job);
        let events = stack.events_on(&subject).await?;
        assert_eq!(events.len(), 1, "a second cancel is deduplicated");
        assert_eq!(events[0].0, format!("{job}:cancel_requested"));
        assert_eq!(events[0].1["by"]["kind"], "anonymous");
    }
    // The job fails (as the runner would report), with its output.
    let store = stack
        .ctx
        .js
        .get_object_store(stack.ctx.topology.outputs_store().bucket)
        .await?;
    let stderr = "e".repeat(100_000);
    let object = format!("{job}/1/stderr");
    store.put(object.as_str(), &mut stderr.as_bytes()).await?;
    let results = vec![IterationResult {
        exit_code: 3,
        stdout: OutputRef::inline("hello"),
        stderr: OutputRef::Object {
            bucket: stack.ctx.topology.outputs_store().bucket,
            name: object.clone(),
            size: stderr.len() as u64,
            digest: bencher_wire::image::Digest::sha256_from_bytes([0; 32]),
        },
        ..Default::default()
    }];
    let moved = job_transition(
        &stack.db,
        job,
        &[DbJobStatus::Requested],
        DbJobStatus::Failed,
        JobFields {
            exit_code: Some(3),
            reason: Some(JobReason::Failure(FailureReason::ExitCode { exit_code: 3 })),
            output: Some(serde_json::to_value(&results)?),
            ..Default::default()
        },
    )
    .await?;
    assert!(moved);
    let response = stack.post(&path, &serde_json::json!({})).await?;
    assert_eq!(response.status(), 409);
    let err: JsonError = response.json().await?;
    assert_eq!(serde_json::to_value(err.code)?, "conflict");

    let view: JsonJob = stack
        .get(&format!("/v0/projects/cancel/jobs/{job}"))
        .await?
        .json()
        .await?;
    assert_eq!(view.status, JobStatus::Failed);
    assert_eq!(view.exit_code, Some(3));
    assert_eq!(view.failure, Some(FailureReason::ExitCode { exit_code: 3 }));
    let output = view.output.expect("a finished job shows its output");
    assert_eq!(output.results.len(), 1);
    assert_eq!(output.results[0].stdout, "hello");
    assert_eq!(
        output.results[0].stderr, stderr,
        "read back from the object store"
    );
    let without: JsonJob = stack
        .get(&format!("/v0/projects/cancel/jobs/{job}?output=false"))
        .await?
        .json()
        .await?;
    assert!(without.output.is_none());
    stack.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_shows_what_the_processor_stored() -> anyhow::Result<()> {
    let stack = Stack::start().await?;
    let mut body = image_run("reports");
    body["thresholds"] = serde_json::json!({"models": {"latency": {
        "test": "t_test", "min_sample_size": 2, "upper_boundary": 0.99
    }}});
    let response = stack.post("/v0/run", &body).await?;
    assert_eq!(response.status(), 201);
    let submitted: JsonReport = response.json().await?;
    let path = format!("/v0/projects/reports/reports/{}", submitted.uuid);
    let before: JsonReport = stack.get(&path).await?.json().await?;
    assert!(before.results.is_empty());
    assert_eq!(
        before.job.as_ref().unwrap().uuid,
        submitted.job.unwrap().uuid
    );

    // What the result-processor stores: metrics, a boundary and an alert.
    let db = &stack.db;
    let report_row = report::Entity::find()
        .filter(report::Column::Uuid.eq(submitted.uuid.as_uuid()))
        .one(db)
        .await?
        .unwrap();
    let stored = store_metrics(
        db,
        report_row.project_id,
        report_row.id,
        &[
            NewMetric {
                iteration: 0,
                benchmark: "fib::10".to_owned(),
                measure: "latency".parse()?,
                value: 120.0,
                lower_value: Some(110.0),
                upper_value: None,
            },
            NewMetric {
                iteration: 1,
                benchmark: "fib::10".to_owned(),
                measure: "latency".parse()?,
                value: 100.0,
                lower_value: None,
                upper_value: None,
            },
        ],
    )
    .await?;
    // The run created the threshold on its branch and testbed, with the model it asked for.
    let threshold = bencher_db::entities::threshold::Entity::find()
        .filter(bencher_db::entities::threshold::Column::BranchId.eq(report_row.branch_id))
        .filter(bencher_db::entities::threshold::Column::TestbedId.eq(report_row.testbed_id))
        .one(db)
        .await?
        .expect("the run's threshold");
    let threshold_uuid = threshold.uuid;
    let current = model::Entity::find()
        .filter(model::Column::ThresholdId.eq(threshold.id))
        .one(db)
        .await?
        .unwrap();
    let bound = boundary::ActiveModel {
        uuid: Set(uuid::Uuid::now_v7()),
        metric_id: Set(stored[0].metric.id),
        threshold_id: Set(threshold.id),
        model_id: Set(current.id),
        baseline: Set(Some(100.0)),
        lower_limit: Set(None),
        upper_limit: Set(Some(110.0)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let now = chrono::Utc::now();
    alert::ActiveModel {
        uuid: Set(uuid::Uuid::now_v7()),
        project_id: Set(report_row.project_id),
        boundary_id: Set(bound.id),
        boundary_limit: Set("upper".to_owned()),
        status: Set("active".to_owned()),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;

    let after: JsonReport = stack.get(&path).await?.json().await?;
    assert_eq!(after.results.len(), 2, "one entry per iteration");
    let first = &after.results[0][0];
    assert_eq!(first.benchmark.name, "fib::10");
    let measure = &first.measures[0];
    assert_eq!(measure.measure.slug.as_str(), "latency");
    assert_eq!(measure.metric.value, 120.0);
    assert_eq!(measure.metric.lower_value, Some(110.0));
    assert_eq!(measure.boundary.unwrap().upper_limit, Some(110.0));
    let applied = measure.threshold.unwrap();
    assert_eq!(applied.uuid.as_uuid(), threshold_uuid);
    assert_eq!(applied.model.test, ThresholdTest::TTest);
    assert_eq!(applied.model.upper_boundary, Some(0.99));
    assert!(measure.alert.is_some());
    let second = &after.results[1][0].measures[0];
    assert_eq!(second.metric.value, 100.0);
    assert!(second.boundary.is_none() && second.alert.is_none());
    assert_eq!(after.alerts.len(), 1);
    assert_eq!(after.alerts[0].metric.value, 120.0);
    assert_eq!(after.alerts[0].benchmark.name, "fib::10");

    let missing = stack
        .get(&format!(
            "/v0/projects/reports/reports/{}",
            uuid::Uuid::now_v7()
        ))
        .await?;
    assert_eq!(missing.status(), 404);
    stack.stop().await
}
