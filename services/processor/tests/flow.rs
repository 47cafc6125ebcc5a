//! The processor over a real nats-server and SQLite: `job.completed` with BMF stdout stores
//! metrics once (also on redelivery), sets the report's end time, keeps the raw output and
//! publishes `report.processed` and `job.processed`; output the adapter refuses, or a non-zero
//! exit, fails the job with the reason; stdout from the outputs object store is read and its
//! digest checked; a local `report.submitted` gets `report.processed`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use bencher_db::DatabaseConnection;
use bencher_db::entities::{measure, metric};
use bencher_db::queries::processor::report::{count_report_metrics, report_by_id, report_state};
use bencher_testkit::db::TestDb;
use bencher_wire::ids::{JobUuid, ProjectUuid, ReportUuid};
use bencher_wire::image::Digest;
use bencher_wire::json::Adapter;
use bencher_wire::msg::{JobConfig, OutputRef, ReportEvent, ReportEventMessage};
use bencher_wire::nats::{JobEventKind, ReportEventKind};
use sea_orm::{EntityTrait, QueryOrder};
use sha2::{Digest as _, Sha256};
use support::{Stack, bmf, completed, fixture, image_run, iteration, local_report, now};

async fn values(db: &DatabaseConnection) -> anyhow::Result<Vec<f64>> {
    Ok(metric::Entity::find()
        .order_by_asc(metric::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.value)
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_bmf_is_stored_once_and_processed() -> anyhow::Result<()> {
    let test_db = TestDb::sqlite().await?;
    let db = test_db.conn().clone();
    let mut stack = Stack::start(db.clone()).await?;
    let f = fixture(&db, "flow").await?;
    let config = JobConfig {
        build_time: true,
        ..JobConfig::default()
    };
    let (report, job) = image_run(&db, &f, &config).await?;
    let stdout = bmf(&[("fib/10", 412.0), ("fib/20", 50_123.5)]);
    let event = completed(&job, vec![iteration(0, OutputRef::inline(stdout.clone()))]);
    let job_uuid = JobUuid::from(job.uuid);
    let report_uuid = ReportUuid::from(report.uuid);
    let subjects = stack.ctx.subjects().clone();
    let job_processed = subjects.job_event(job_uuid, JobEventKind::Processed);
    let report_processed = subjects.report_event(report_uuid, ReportEventKind::Processed);

    stack.publish_job(&event).await?;
    let processed = stack.next_on(&report_processed).await?;
    assert_eq!(processed["metrics"], 3, "two latencies and the build time");
    assert_eq!(processed["job"], job.uuid.to_string());
    assert_eq!(processed["project"], f.project.uuid.to_string());
    let done = stack.next_on(&job_processed).await?;
    assert_eq!(done["event"], "processed");
    assert_eq!(done["report"], report.uuid.to_string());
    assert_eq!(
        (done["metrics"].as_u64(), done["alerts"].as_u64()),
        (Some(3), Some(0))
    );

    let mut stored = values(&db).await?;
    stored.sort_by(f64::total_cmp);
    assert_eq!(stored, vec![1.5, 412.0, 50_123.5]);
    let build = measure::Entity::find().all(&db).await?;
    assert!(
        build
            .iter()
            .any(|m| m.slug == "build-time" && m.units == "seconds (s)")
    );
    assert!(
        build
            .iter()
            .any(|m| m.slug == "latency" && m.units == "nanoseconds (ns)")
    );
    let row = report_by_id(&db, report.id).await?.unwrap();
    assert_eq!(
        row.end_time, event.at,
        "end time is when the runner completed"
    );
    let raw = row.results_ref.unwrap();
    assert_eq!(raw["kind"], "job");
    assert_eq!(
        raw["iterations"][0]["stdout"]["text"], stdout,
        "raw output kept"
    );
    assert!(report_state(&db, report.id).await?.processed.is_some());

    // Redelivery (same event, a new message): nothing stored twice, the same events again.
    let again = format!("{}:again", event.msg_id());
    stack
        .publish(&event.subject(&subjects), &again, &event)
        .await?;
    let republished = stack.next_on(&job_processed).await?;
    assert_eq!(republished["metrics"], 3);
    assert_eq!(count_report_metrics(&db, report.id).await?, 3);
    assert_eq!(values(&db).await?.len(), 3);
    assert_eq!(
        stack.stored_on(&job_processed).await?,
        1,
        "deduplicated by msg id"
    );
    assert_eq!(stack.stored_on(&report_processed).await?, 1);
    stack.stop().await?;
    test_db.cleanup().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_the_adapter_refuses_fails_the_job_and_is_kept() -> anyhow::Result<()> {
    let test_db = TestDb::sqlite().await?;
    let db = test_db.conn().clone();
    let mut stack = Stack::start(db.clone()).await?;
    let f = fixture(&db, "parse").await?;
    let (report, job) = image_run(&db, &f, &JobConfig::default()).await?;
    let stdout = "Benchmarking... done\nfib: fast\n";
    stack
        .publish_job(&completed(
            &job,
            vec![iteration(0, OutputRef::inline(stdout))],
        ))
        .await?;
    let failed_subject = stack
        .ctx
        .subjects()
        .job_event(JobUuid::from(job.uuid), JobEventKind::Failed);
    let failed = stack.next_on(&failed_subject).await?;
    assert_eq!(failed["stage"], "processing");
    assert_eq!(failed["reason"]["kind"], "parse");
    let message = failed["reason"]["message"].as_str().unwrap();
    assert!(
        message.contains("not json JSON"),
        "the json adapter's message: {message}"
    );
    assert_eq!(failed["results"][0]["stdout"]["text"], stdout);
    assert_eq!(count_report_metrics(&db, report.id).await?, 0);
    let state = report_state(&db, report.id).await?;
    assert_eq!(state.failure.unwrap()["kind"], "parse");
    let row = report_by_id(&db, report.id).await?.unwrap();
    assert_eq!(
        row.results_ref.unwrap()["iterations"][0]["stdout"]["text"],
        stdout
    );
    stack.stop().await?;
    test_db.cleanup().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_zero_exit_fails_the_job_unless_allowed() -> anyhow::Result<()> {
    let test_db = TestDb::sqlite().await?;
    let db = test_db.conn().clone();
    let mut stack = Stack::start(db.clone()).await?;
    let f = fixture(&db, "exit").await?;
    let stdout = OutputRef::inline(bmf(&[("a", 1.0)]));

    let (report, job) = image_run(&db, &f, &JobConfig::default()).await?;
    stack
        .publish_job(&completed(
            &job,
            vec![iteration(0, stdout.clone()), iteration(3, stdout.clone())],
        ))
        .await?;
    let subject = stack
        .ctx
        .subjects()
        .job_event(JobUuid::from(job.uuid), JobEventKind::Failed);
    let failed = stack.next_on(&subject).await?;
    assert_eq!(failed["reason"]["kind"], "exit_code");
    assert_eq!(failed["reason"]["exit_code"], 3);
    assert_eq!(failed["results"].as_array().unwrap().len(), 2);
    assert_eq!(count_report_metrics(&db, report.id).await?, 0);

    let allowed = JobConfig {
        allow_failure: true,
        ..JobConfig::default()
    };
    let (report, job) = image_run(&db, &f, &allowed).await?;
    stack
        .publish_job(&completed(&job, vec![iteration(1, stdout)]))
        .await?;
    let subject = stack
        .ctx
        .subjects()
        .job_event(JobUuid::from(job.uuid), JobEventKind::Processed);
    assert_eq!(stack.next_on(&subject).await?["metrics"], 1);
    assert_eq!(count_report_metrics(&db, report.id).await?, 1);
    stack.stop().await?;
    test_db.cleanup().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_comes_from_the_object_store_with_its_digest_checked() -> anyhow::Result<()> {
    let test_db = TestDb::sqlite().await?;
    let db = test_db.conn().clone();
    let mut stack = Stack::start(db.clone()).await?;
    let f = fixture(&db, "objects").await?;
    let bucket = stack.ctx.topology.outputs_store().bucket;
    let store = stack.ctx.js.get_object_store(&bucket).await?;
    // Over the inline limit: 3,000 benchmarks.
    let names: Vec<String> = (0..3000).map(|i| format!("bench/{i:04}")).collect();
    let doc: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 10.0)).collect();
    let stdout = bmf(&doc);
    assert!(stdout.len() > OutputRef::INLINE_MAX);
    let digest = Digest::sha256_from_bytes(Sha256::digest(stdout.as_bytes()).into());
    let object = |name: &str, digest: Digest| OutputRef::Object {
        bucket: bucket.clone(),
        name: name.to_owned(),
        size: stdout.len() as u64,
        digest,
    };
    store.put("good/stdout", &mut stdout.as_bytes()).await?;

    let (report, job) = image_run(&db, &f, &JobConfig::default()).await?;
    stack
        .publish_job(&completed(
            &job,
            vec![iteration(0, object("good/stdout", digest.clone()))],
        ))
        .await?;
    let subject = stack
        .ctx
        .subjects()
        .job_event(JobUuid::from(job.uuid), JobEventKind::Processed);
    assert_eq!(stack.next_on(&subject).await?["metrics"], 3000);
    assert_eq!(count_report_metrics(&db, report.id).await?, 3000);

    // The same bytes under a digest they do not have: the job fails, nothing is stored.
    let wrong = Digest::sha256_from_bytes(Sha256::digest(b"something else").into());
    let (report, job) = image_run(&db, &f, &JobConfig::default()).await?;
    stack
        .publish_job(&completed(
            &job,
            vec![iteration(0, object("good/stdout", wrong))],
        ))
        .await?;
    let subject = stack
        .ctx
        .subjects()
        .job_event(JobUuid::from(job.uuid), JobEventKind::Failed);
    let failed = stack.next_on(&subject).await?;
    assert_eq!(failed["reason"]["kind"], "internal");
    assert!(
        failed["reason"]["message"]
            .as_str()
            .unwrap()
            .contains("digest")
    );
    assert_eq!(count_report_metrics(&db, report.id).await?, 0);
    stack.stop().await?;
    test_db.cleanup().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_report_is_processed() -> anyhow::Result<()> {
    let test_db = TestDb::sqlite().await?;
    let db = test_db.conn().clone();
    let mut stack = Stack::start(db.clone()).await?;
    let f = fixture(&db, "local").await?;
    let submitted = |report: &bencher_db::entities::report::Model, results: Vec<String>| {
        ReportEventMessage::new(
            ReportUuid::from(report.uuid),
            ReportEvent::Submitted {
                project: ProjectUuid::from(f.project.uuid),
                branch: f.branch.uuid.into(),
                testbed: f.testbed.uuid.into(),
                adapter: Adapter::GoBench,
                average: None,
                fold: None,
                results,
            },
        )
    };
    let go = "BenchmarkFib10-2   \t 3000000\t       412 ns/op\nBenchmarkFib20-2 \t 30000\t 50123 ns/op\nPASS\n";
    let report = local_report(&db, &f, now(), "go_bench").await?;
    let event = submitted(&report, vec![go.to_owned(), go.to_owned()]);
    stack
        .publish(
            &event.subject(stack.ctx.subjects()),
            &event.msg_id(),
            &event,
        )
        .await?;
    let subject = stack
        .ctx
        .subjects()
        .report_event(ReportUuid::from(report.uuid), ReportEventKind::Processed);
    let processed = stack.next_on(&subject).await?;
    assert_eq!(processed["metrics"], 4, "two benchmarks, two iterations");
    assert!(processed.get("job").is_none());
    assert_eq!(count_report_metrics(&db, report.id).await?, 4);

    // Output that is not go test output: processed, empty, the parser's message on the report.
    let report = local_report(&db, &f, now(), "go_bench").await?;
    let event = submitted(&report, vec!["nothing here".to_owned()]);
    stack
        .publish(
            &event.subject(stack.ctx.subjects()),
            &event.msg_id(),
            &event,
        )
        .await?;
    let subject = stack
        .ctx
        .subjects()
        .report_event(ReportUuid::from(report.uuid), ReportEventKind::Processed);
    assert_eq!(stack.next_on(&subject).await?["metrics"], 0);
    let failure = report_state(&db, report.id).await?.failure.unwrap();
    assert_eq!(failure["kind"], "parse");
    assert!(
        failure["message"].as_str().unwrap().contains("go_bench"),
        "{failure}"
    );
    stack.stop().await?;
    test_db.cleanup().await
}
