//! Processing one report of 1,000 benchmarks × 2 measures (latency, throughput) with a t_test
//! threshold on both measures and 64 earlier reports of history, on SQLite and (when
//! `BENCHER_TEST_POSTGRES_URL` is set) PostgreSQL. Prints the wall time of `process_local`
//! (parse, store, history, boundaries, alerts, one transaction) and the number of SQL
//! statements it sent, counted by sea-orm's metric callback. Target: under 2 s.
//!
//! `cargo bench -p bencher-processor --bench process`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bencher_db::DatabaseConnection;
use bencher_db::entities::{boundary, metric, report_benchmark};
use bencher_db::queries::job::{NewReport, create_report_with_job};
use bencher_db::queries::metrics::{NewMetric, get_or_create_measures, store_metrics};
use bencher_db::queries::processor::thresholds::set_threshold;
use bencher_db::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use bencher_db::types::Visibility;
use bencher_processor::parse::{IterationOutput, ParseSettings, parse_outputs};
use bencher_processor::process::{Outcome, process_local};
use bencher_testkit::db::{Backend, POSTGRES_URL_ENV, TestDb};
use bencher_wire::ids::ReportUuid;
use bencher_wire::json::{Adapter, JsonThresholdModel, ThresholdTest};
use bencher_wire::{Priority, Slug};
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

const BENCHMARKS: usize = 1000;
const HISTORY: usize = 64;
const RUNS: usize = 3;

fn slug(s: &str) -> Slug {
    s.parse().unwrap()
}

/// A deterministic value around `base` for benchmark `b` in report `r`.
fn value(base: f64, b: usize, r: usize) -> f64 {
    let noise = ((b * 7919 + r * 104_729) % 1000) as f64 / 1000.0 - 0.5;
    base * (1.0 + 0.02 * noise) + b as f64
}

/// Report `r`'s BMF; with `regressed`, the first ten benchmarks are 50 % slower.
fn bmf(r: usize, regressed: bool) -> String {
    let doc: serde_json::Map<String, serde_json::Value> = (0..BENCHMARKS)
        .map(|b| {
            let slower = if regressed && b < 10 { 1.5 } else { 1.0 };
            (
                format!("bench/group-{}/case-{b:04}", b % 10),
                serde_json::json!({
                    "latency": {"value": value(1000.0, b, r) * slower},
                    "throughput": {"value": value(5000.0, b, r)},
                }),
            )
        })
        .collect();
    serde_json::Value::Object(doc).to_string()
}

async fn bench(backend: Backend) -> anyhow::Result<()> {
    let test_db = TestDb::new(backend).await?;
    let db = test_db.conn().clone();
    let org = get_or_create_organization(&db, &slug("bench"), "bench", Priority::Plus).await?;
    let project = get_or_create_project(
        &db,
        org.id,
        &slug("bench"),
        "bench",
        Visibility::Public,
        false,
    )
    .await?;
    let branch = get_or_create_branch(&db, project.id, &slug("main"), "main").await?;
    let testbed = get_or_create_testbed(&db, project.id, &slug("ci"), "ci").await?;
    let start = Utc::now() - Duration::hours(2);
    let new_report = |at| NewReport {
        uuid: ReportUuid::new(),
        project_id: project.id,
        branch_id: branch.id,
        testbed_id: testbed.id,
        hash: None,
        start_time: at,
        end_time: at,
        adapter: Adapter::Json.as_str().to_owned(),
        average: None,
        fold: None,
        results_ref: None,
    };

    let setup = Instant::now();
    let measures = parse_outputs(
        ParseSettings {
            adapter: Adapter::Json,
            average: None,
            fold: None,
        },
        &[IterationOutput {
            stdout: bmf(0, false),
            ..IterationOutput::default()
        }],
    )
    .map_err(anyhow::Error::msg)?
    .measures;
    let found = get_or_create_measures(&db, project.id, &measures).await?;
    for r in 0..HISTORY {
        let (report, _) =
            create_report_with_job(&db, new_report(start + Duration::minutes(r as i64)), None)
                .await?;
        let metrics: Vec<NewMetric> = (0..BENCHMARKS)
            .flat_map(|b| {
                let name = format!("bench/group-{}/case-{b:04}", b % 10);
                [("latency", 1000.0), ("throughput", 5000.0)].map(|(m, base)| NewMetric {
                    iteration: 0,
                    benchmark: name.clone(),
                    measure: slug(m),
                    value: value(base, b, r),
                    lower_value: None,
                    upper_value: None,
                })
            })
            .collect();
        store_metrics(&db, project.id, report.id, &metrics).await?;
    }
    for m in ["latency", "throughput"] {
        let model = JsonThresholdModel {
            test: ThresholdTest::TTest,
            min_sample_size: None,
            max_sample_size: Some(HISTORY as u32),
            window: None,
            lower_boundary: Some(0.99),
            upper_boundary: Some(0.99),
        };
        set_threshold(&db, project.id, branch.id, testbed.id, found[m].id, &model).await?;
    }
    println!(
        "{}: history of {HISTORY} reports × {BENCHMARKS} benchmarks × 2 measures stored in {:.1?}",
        backend.as_str(),
        setup.elapsed()
    );

    let statements = Arc::new(AtomicU64::new(0));
    let mut counted: DatabaseConnection = db.clone();
    let counter = statements.clone();
    counted.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    for run in 0..RUNS {
        let r = HISTORY + run;
        let report = create_report_with_job(&db, new_report(Utc::now()), None)
            .await?
            .0;
        let results = vec![bmf(r, run == RUNS - 1)];
        statements.store(0, Ordering::Relaxed);
        let started = Instant::now();
        let outcome = process_local(&counted, ReportUuid::from(report.uuid), &results).await?;
        let elapsed = started.elapsed();
        let Outcome::Processed {
            metrics, alerts, ..
        } = outcome
        else {
            anyhow::bail!("report not processed: {outcome:?}");
        };
        let boundaries = boundary::Entity::find()
            .filter(boundary::Column::MetricId.is_in(metric_ids(&db, report.id).await?))
            .count(&db)
            .await?;
        println!(
            "{}: run {}: {metrics} metrics, {boundaries} boundaries, {} alerts, {} SQL statements, {:.1?}{}",
            backend.as_str(),
            run + 1,
            alerts.len(),
            statements.load(Ordering::Relaxed),
            elapsed,
            if elapsed.as_secs_f64() < 2.0 {
                ""
            } else {
                "  (over the 2 s target)"
            },
        );
    }
    test_db.cleanup().await
}

/// The ids of a report's metrics.
async fn metric_ids(db: &DatabaseConnection, report_id: i64) -> anyhow::Result<Vec<i64>> {
    let rbs: Vec<i64> = report_benchmark::Entity::find()
        .filter(report_benchmark::Column::ReportId.eq(report_id))
        .all(db)
        .await?
        .into_iter()
        .map(|rb| rb.id)
        .collect();
    let mut ids = Vec::new();
    for chunk in rbs.chunks(500) {
        let found = metric::Entity::find()
            .filter(metric::Column::ReportBenchmarkId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        ids.extend(found.into_iter().map(|m| m.id));
    }
    Ok(ids)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    bench(Backend::Sqlite).await?;
    if std::env::var_os(POSTGRES_URL_ENV).is_some() {
        bench(Backend::Postgres).await?;
    } else {
        println!("postgres: skipped ({POSTGRES_URL_ENV} not set)");
    }
    Ok(())
}
