//! The threshold history query: same branch, testbed, benchmark and measure, newest first, with
//! window cut-off, limit and the judged report left out, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::DatabaseConnection;
use bencher_db::entities::report;
use bencher_db::queries::history::{HistoryQuery, metric_history};
use bencher_db::queries::metrics::{NewMetric, StoredMetric, store_metrics};
use bencher_db::queries::tenancy::{get_or_create_branch, get_or_create_testbed};
use bencher_testkit::db_tests;
use chrono::{Duration, DurationRound, Utc};
use common::{Fixture, fixture, report_at, slug};

async fn store(
    db: &DatabaseConnection,
    f: &Fixture,
    report: &report::Model,
    rows: &[(i32, &str, &str, f64)],
) -> anyhow::Result<Vec<StoredMetric>> {
    let metrics: Vec<NewMetric> = rows
        .iter()
        .map(|(iteration, bench, measure, value)| NewMetric {
            iteration: *iteration,
            benchmark: (*bench).into(),
            measure: slug(measure),
            value: *value,
            lower_value: None,
            upper_value: None,
        })
        .collect();
    Ok(store_metrics(db, f.project.id, report.id, &metrics).await?)
}

async fn history_with_window_limit_and_exclusion(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "history").await?;
    // Microsecond precision: what both backends store.
    let now = Utc::now().duration_trunc(Duration::microseconds(1))?;
    let day = Duration::days(1);

    // Reports 0..=5 days old on main/ci; value = 100 + age in days.
    let mut reports = Vec::new();
    let mut ids = None;
    for age in 0..=5 {
        let r = report_at(&db, &f, now - day * age).await?;
        let value = 100.0 + age as f64;
        let stored = store(&db, &f, &r, &[(0, "b", "latency", value)]).await?;
        ids = Some((stored[0].benchmark.id, stored[0].measure.id));
        reports.push(r);
    }
    let (benchmark_id, measure_id) = ids.ok_or_else(|| anyhow::anyhow!("nothing stored"))?;
    // A report 2 days old has a second iteration: two points from one report.
    store(&db, &f, &reports[2], &[(1, "b", "latency", 102.5)]).await?;

    // Noise that must never show up: other branch, other testbed, other benchmark, other measure.
    let dev = get_or_create_branch(&db, f.project.id, &slug("dev"), "dev").await?;
    let arm = get_or_create_testbed(&db, f.project.id, &slug("arm"), "arm").await?;
    for (branch, testbed) in [(dev.id, f.testbed.id), (f.branch.id, arm.id)] {
        let mut new = common::new_report(&f, now - day);
        new.branch_id = branch;
        new.testbed_id = testbed;
        let (r, _) = bencher_db::queries::job::create_report_with_job(&db, new, None).await?;
        store(&db, &f, &r, &[(0, "b", "latency", -1.0)]).await?;
    }
    store(&db, &f, &reports[1], &[(0, "other", "latency", -1.0)]).await?;
    store(&db, &f, &reports[1], &[(0, "b", "throughput", -1.0)]).await?;

    let query = HistoryQuery {
        branch_id: f.branch.id,
        testbed_id: f.testbed.id,
        benchmark_id,
        measure_id,
        exclude_report_id: Some(reports[0].id),
        since: Some(now - day * 3 - Duration::hours(12)),
        until: None,
        limit: 10,
    };
    let values = |points: &[bencher_db::queries::history::HistoryPoint]| {
        points.iter().map(|p| p.value).collect::<Vec<_>>()
    };

    let points = metric_history(&db, &query).await?;
    // Newest first; within one report the later iteration first; nothing older than the window.
    assert_eq!(values(&points), vec![101.0, 102.5, 102.0, 103.0]);
    assert_eq!(points[0].report_id, reports[1].id);
    assert_eq!(points[0].report_uuid, reports[1].uuid);
    assert_eq!(points[0].start_time, now - day);

    let limited = metric_history(
        &db,
        &HistoryQuery {
            limit: 2,
            ..query.clone()
        },
    )
    .await?;
    assert_eq!(values(&limited), vec![101.0, 102.5]);

    let everything = metric_history(
        &db,
        &HistoryQuery {
            since: None,
            exclude_report_id: None,
            ..query.clone()
        },
    )
    .await?;
    assert_eq!(
        values(&everything),
        vec![100.0, 101.0, 102.5, 102.0, 103.0, 104.0, 105.0]
    );

    // Re-judging the 3-day-old report: only what came before it (the window bound is inclusive).
    let before = metric_history(
        &db,
        &HistoryQuery {
            exclude_report_id: Some(reports[3].id),
            since: None,
            until: Some(reports[3].start_time),
            ..query
        },
    )
    .await?;
    assert_eq!(values(&before), vec![104.0, 105.0]);
    Ok(())
}

db_tests!(history_with_window_limit_and_exclusion);
