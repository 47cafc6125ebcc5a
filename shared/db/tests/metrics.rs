//! Batched result storage: benchmarks and measures are created as needed, and re-processing a
//! report stores each metric once, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::DatabaseConnection;
use bencher_db::entities::{benchmark, measure, metric, report_benchmark};
use bencher_db::queries::metrics::{NewMetric, get_or_create_benchmarks, store_metrics};
use bencher_testkit::db_tests;
use chrono::Utc;
use common::{fixture, report_at, slug};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

fn metric(iteration: i32, benchmark: &str, measure: &str, value: f64) -> NewMetric {
    NewMetric {
        iteration,
        benchmark: benchmark.into(),
        measure: slug(measure),
        value,
        lower_value: Some(value - 1.0),
        upper_value: None,
    }
}

fn results(scale: f64) -> Vec<NewMetric> {
    let mut out = Vec::new();
    for iteration in 0..2 {
        for (i, bench) in ["bench_fib 10", "bench_fib 20"].into_iter().enumerate() {
            let base = (iteration * 10 + i as i32) as f64 * scale;
            out.push(metric(iteration, bench, "latency", base + 100.0));
            out.push(metric(iteration, bench, "throughput", base + 5.0));
        }
    }
    out
}

async fn reprocessing_stores_each_metric_once(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "metrics").await?;
    let report = report_at(&db, &f, Utc::now()).await?;

    let first = store_metrics(&db, f.project.id, report.id, &results(1.0)).await?;
    assert_eq!(first.len(), 8);
    for (stored, input) in first.iter().zip(results(1.0)) {
        assert_eq!(stored.iteration, input.iteration);
        assert_eq!(stored.benchmark.name, input.benchmark);
        assert_eq!(stored.measure.slug, input.measure.as_str());
        assert_eq!(stored.metric.value, input.value);
        assert_eq!(stored.metric.lower_value, input.lower_value);
    }
    let latency = &first[0].measure;
    assert_eq!(latency.units, "nanoseconds (ns)");
    assert_eq!(first[0].benchmark.slug, "bench-fib-10");

    // The same report processed again (e.g. a redelivered message), even with other values:
    // nothing new is stored and the first values are returned.
    let second = store_metrics(&db, f.project.id, report.id, &results(7.0)).await?;
    assert_eq!(
        first.iter().map(|s| s.metric.clone()).collect::<Vec<_>>(),
        second.iter().map(|s| s.metric.clone()).collect::<Vec<_>>()
    );
    assert_eq!(metric::Entity::find().count(&db).await?, 8);
    assert_eq!(report_benchmark::Entity::find().count(&db).await?, 4);
    assert_eq!(benchmark::Entity::find().count(&db).await?, 2);
    assert_eq!(measure::Entity::find().count(&db).await?, 2);

    // A second report reuses the benchmarks and measures and adds its own metrics.
    let other = report_at(&db, &f, Utc::now()).await?;
    let third = store_metrics(&db, f.project.id, other.id, &results(2.0)).await?;
    assert_eq!(third[0].benchmark.id, first[0].benchmark.id);
    assert_ne!(third[0].metric.id, first[0].metric.id);
    assert_eq!(metric::Entity::find().count(&db).await?, 16);
    Ok(())
}

async fn names_sharing_a_slug_and_large_batches(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "batch").await?;
    let report = report_at(&db, &f, Utc::now()).await?;

    // Two names, one slug: both benchmarks exist, with distinct slugs.
    let names = vec!["Fib 10".to_owned(), "fib-10".to_owned()];
    let found = get_or_create_benchmarks(&db, f.project.id, &names).await?;
    assert_eq!(found.len(), 2);
    assert_ne!(found["Fib 10"].slug, found["fib-10"].slug);
    assert!(found.values().all(|b| b.slug.starts_with("fib-10")));

    // More rows than one statement carries (chunks of 500), and a measure Bencher does not know.
    let many: Vec<NewMetric> = (0..1100)
        .map(|i| metric(0, &format!("case {i}"), "heap-bytes", i as f64))
        .collect();
    let stored = store_metrics(&db, f.project.id, report.id, &many).await?;
    assert_eq!(stored.len(), 1100);
    assert_eq!(stored[0].measure.name, "heap-bytes");
    assert_eq!(stored[0].measure.units, "units");
    assert_eq!(stored[1099].metric.value, 1099.0);
    assert_eq!(
        benchmark::Entity::find()
            .filter(benchmark::Column::ProjectId.eq(f.project.id))
            .count(&db)
            .await?,
        1102
    );
    assert_eq!(metric::Entity::find().count(&db).await?, 1100);
    Ok(())
}

db_tests!(
    reprocessing_stores_each_metric_once,
    names_sharing_a_slug_and_large_batches
);
