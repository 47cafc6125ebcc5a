//! The result-processor's queries on both backends: thresholds and model versions, the batched
//! history (one query for many benchmarks, per-benchmark limit, window, exclusion, newest
//! first, equal to the single-benchmark query), the report's processed claim and outcome, and
//! idempotent boundaries and alerts read back per report.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::queries::history::{HistoryQuery, metric_history};
use bencher_db::queries::metrics::{NewMetric, StoredMetric, store_metrics};
use bencher_db::queries::processor::alerts::{
    NewAlert, NewBoundary, insert_alerts, insert_boundaries, report_alerts,
};
use bencher_db::queries::processor::history::{HistoryBatch, metric_history_batch};
use bencher_db::queries::processor::report::{
    ReportOutcome, claim_report, count_report_metrics, finish_report, report_by_id, report_state,
};
use bencher_db::queries::processor::thresholds::{
    current_model, current_thresholds, set_threshold,
};
use bencher_db::queries::tenancy::get_or_create_testbed;
use bencher_db::{BoundaryLimit, DatabaseConnection, entities::report};
use bencher_testkit::db_tests;
use bencher_wire::json::{JsonThresholdModel, ThresholdTest};
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

fn t_test(upper: f64) -> JsonThresholdModel {
    JsonThresholdModel {
        test: ThresholdTest::TTest,
        min_sample_size: None,
        max_sample_size: Some(64),
        window: None,
        lower_boundary: None,
        upper_boundary: Some(upper),
    }
}

async fn thresholds_keep_one_current_model(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "thresholds").await?;
    let r = report_at(&db, &f, Utc::now()).await?;
    let stored = store(
        &db,
        &f,
        &r,
        &[(0, "a", "latency", 1.0), (0, "a", "throughput", 2.0)],
    )
    .await?;
    let (latency, throughput) = (stored[0].measure.id, stored[1].measure.id);

    let first = set_threshold(
        &db,
        f.project.id,
        f.branch.id,
        f.testbed.id,
        latency,
        &t_test(0.9),
    )
    .await?;
    let second = set_threshold(
        &db,
        f.project.id,
        f.branch.id,
        f.testbed.id,
        latency,
        &t_test(0.99),
    )
    .await?;
    assert_eq!(
        first.threshold.id, second.threshold.id,
        "one threshold per measure"
    );
    assert_ne!(first.model.id, second.model.id);
    let current = current_model(&db, first.threshold.id).await?.unwrap();
    assert_eq!(current.id, second.model.id);
    assert_eq!(
        (current.test.as_str(), current.upper_boundary),
        ("t_test", Some(0.99))
    );
    assert_eq!(current.max_sample_size, Some(64));

    // Another testbed's threshold on the same measure is not ours.
    let arm = get_or_create_testbed(&db, f.project.id, &slug("arm"), "arm").await?;
    set_threshold(
        &db,
        f.project.id,
        f.branch.id,
        arm.id,
        throughput,
        &t_test(0.9),
    )
    .await?;
    let found = current_thresholds(&db, f.branch.id, f.testbed.id, &[latency, throughput]).await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[&latency].model.id, second.model.id);
    Ok(())
}

async fn batched_history_matches_the_single_query(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "batch").await?;
    let now = Utc::now().duration_trunc(Duration::microseconds(1))?;
    let day = Duration::days(1);
    let mut reports = Vec::new();
    for age in (0..6).rev() {
        let r = report_at(&db, &f, now - day * age).await?;
        let base = 100.0 + f64::from(age);
        let mut rows = vec![(0, "a", "latency", base), (0, "b", "latency", base + 50.0)];
        if age == 2 {
            rows.push((1, "a", "latency", base + 0.5));
        }
        rows.push((0, "a", "throughput", -1.0));
        store(&db, &f, &r, &rows).await?;
        reports.push(r);
    }
    let judged = reports.last().unwrap().clone();
    let stored = store(&db, &f, &judged, &[(0, "a", "latency", 0.0)]).await?;
    let (a, measure) = (stored[0].benchmark.id, stored[0].measure.id);
    let b = store(&db, &f, &judged, &[(0, "b", "latency", 0.0)]).await?[0]
        .benchmark
        .id;
    let quiet = store(&db, &f, &judged, &[(0, "new", "latency", 0.0)]).await?[0]
        .benchmark
        .id;

    let ids = [a, b, quiet];
    for (since, limit) in [
        (None, None),
        (Some(now - day * 3 - Duration::hours(1)), Some(2)),
    ] {
        let batch = HistoryBatch {
            branch_id: f.branch.id,
            testbed_id: f.testbed.id,
            measure_id: measure,
            benchmark_ids: &ids,
            exclude_report_id: Some(judged.id),
            since,
            until: Some(judged.start_time),
            limit,
        };
        let got = metric_history_batch(&db, &batch).await?;
        assert!(!got.contains_key(&quiet), "no history, no entry");
        for benchmark_id in [a, b] {
            let single = metric_history(
                &db,
                &HistoryQuery {
                    branch_id: f.branch.id,
                    testbed_id: f.testbed.id,
                    benchmark_id,
                    measure_id: measure,
                    exclude_report_id: Some(judged.id),
                    since,
                    until: Some(judged.start_time),
                    limit: limit.unwrap_or(1000),
                },
            )
            .await?;
            let expected: Vec<f64> = single.iter().map(|p| p.value).collect();
            assert_eq!(
                got[&benchmark_id], expected,
                "since={since:?} limit={limit:?}"
            );
        }
    }
    let all = metric_history_batch(
        &db,
        &HistoryBatch {
            branch_id: f.branch.id,
            testbed_id: f.testbed.id,
            measure_id: measure,
            benchmark_ids: &ids,
            exclude_report_id: Some(judged.id),
            since: None,
            until: None,
            limit: None,
        },
    )
    .await?;
    // Newest first, the later iteration of a report before the earlier one.
    assert_eq!(all[&a], vec![101.0, 102.5, 102.0, 103.0, 104.0, 105.0]);
    assert_eq!(all[&b].len(), 5);
    Ok(())
}

async fn a_report_is_claimed_once(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "claim").await?;
    let r = report_at(&db, &f, Utc::now() - Duration::minutes(5)).await?;
    assert_eq!(report_state(&db, r.id).await?.processed, None);
    assert!(claim_report(&db, r.id).await?);
    assert!(!claim_report(&db, r.id).await?, "a second claim loses");
    let end = Utc::now().duration_trunc(Duration::microseconds(1))?;
    let failure = serde_json::json!({"kind": "parse", "message": "no results"});
    finish_report(
        &db,
        r.id,
        ReportOutcome {
            end_time: Some(end),
            results_ref: Some(serde_json::json!({"kind": "job", "iterations": []})),
            failure: Some(failure.clone()),
        },
    )
    .await?;
    let state = report_state(&db, r.id).await?;
    assert!(state.processed.is_some());
    assert_eq!(state.failure, Some(failure));
    let row = report_by_id(&db, r.id).await?.unwrap();
    assert_eq!(row.end_time, end);
    assert_eq!(row.results_ref.unwrap()["kind"], "job");

    let rolled_back = report_at(&db, &f, Utc::now()).await?;
    {
        let txn = bencher_db::begin_write(&db).await?;
        assert!(claim_report(&txn, rolled_back.id).await?);
        txn.rollback().await?;
    }
    assert!(report_state(&db, rolled_back.id).await?.processed.is_none());
    store(
        &db,
        &f,
        &rolled_back,
        &[(0, "a", "latency", 1.0), (1, "a", "latency", 2.0)],
    )
    .await?;
    assert_eq!(count_report_metrics(&db, rolled_back.id).await?, 2);
    Ok(())
}

async fn boundaries_and_alerts_are_stored_once(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "alerts").await?;
    let r = report_at(&db, &f, Utc::now()).await?;
    let stored = store(
        &db,
        &f,
        &r,
        &[(0, "a", "latency", 150.0), (0, "b", "latency", 100.0)],
    )
    .await?;
    let current = set_threshold(
        &db,
        f.project.id,
        f.branch.id,
        f.testbed.id,
        stored[0].measure.id,
        &t_test(0.99),
    )
    .await?;
    let boundary = |metric_id, upper| NewBoundary {
        metric_id,
        threshold_id: current.threshold.id,
        model_id: current.model.id,
        baseline: Some(100.0),
        lower_limit: None,
        upper_limit: Some(upper),
    };
    let rows = [
        boundary(stored[0].metric.id, 120.0),
        boundary(stored[1].metric.id, 120.0),
    ];
    let first = insert_boundaries(&db, &rows).await?;
    let again = insert_boundaries(&db, &[boundary(stored[0].metric.id, 999.0)]).await?;
    assert_eq!(
        again[&stored[0].metric.id], first[&stored[0].metric.id],
        "first values win"
    );
    let alert = NewAlert {
        boundary_id: first[&stored[0].metric.id].id,
        limit: BoundaryLimit::Upper,
    };
    insert_alerts(&db, f.project.id, &[alert]).await?;
    insert_alerts(&db, f.project.id, &[alert]).await?;
    let alerts = report_alerts(&db, r.id).await?;
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(
        (a.boundary_limit.as_str(), a.status.as_str()),
        ("upper", "active")
    );
    assert_eq!(
        (a.value, a.upper_limit, a.baseline),
        (150.0, Some(120.0), Some(100.0))
    );
    assert_eq!(
        (a.benchmark_name.as_str(), a.measure_slug.as_str()),
        ("a", "latency")
    );
    assert_eq!(a.metric_uuid, stored[0].metric.uuid);
    let other = report_at(&db, &f, Utc::now()).await?;
    assert!(report_alerts(&db, other.id).await?.is_empty());
    Ok(())
}

db_tests!(
    thresholds_keep_one_current_model,
    batched_history_matches_the_single_query,
    a_report_is_claimed_once,
    boundaries_and_alerts_are_stored_once,
);
