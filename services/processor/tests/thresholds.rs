//! Thresholds on both backends, through a real nats-server: 30 reports of known values, then a
//! report with a regression (boundary and alert, `alert.raised` published), a normal value
//! (boundary, no alert) and a regressed `_bencher_ignore` benchmark (boundary, no alert); the
//! stored boundary is what bencher-stats computes from the history newest first. Within one
//! report, iteration k+1 is judged against iterations 0..=k.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use bencher_db::DatabaseConnection;
use bencher_db::entities::{alert, boundary, measure, metric, report, report_benchmark};
use bencher_db::queries::processor::thresholds::set_threshold;
use bencher_processor::process::{Outcome, process_local};
use bencher_stats::{Model, ThresholdTest};
use bencher_testkit::db_tests;
use bencher_wire::ids::{ProjectUuid, ReportUuid};
use bencher_wire::json::{Adapter, JsonThresholdModel, ThresholdTest as WireTest};
use bencher_wire::msg::{ReportEvent, ReportEventMessage};
use bencher_wire::nats::ReportEventKind;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use support::{Fixture, Stack, bmf, fixture, local_report, now};

/// Boundaries of a report's metrics, by benchmark name and iteration.
async fn boundaries(
    db: &DatabaseConnection,
    report: &report::Model,
) -> anyhow::Result<Vec<(String, i32, f64, boundary::Model)>> {
    let rbs = report_benchmark::Entity::find()
        .filter(report_benchmark::Column::ReportId.eq(report.id))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for rb in rbs {
        let name = bencher_db::entities::benchmark::Entity::find_by_id(rb.benchmark_id)
            .one(db)
            .await?
            .unwrap()
            .name;
        for m in metric::Entity::find()
            .filter(metric::Column::ReportBenchmarkId.eq(rb.id))
            .all(db)
            .await?
        {
            if let Some(b) = boundary::Entity::find()
                .filter(boundary::Column::MetricId.eq(m.id))
                .one(db)
                .await?
            {
                out.push((name.clone(), rb.iteration, m.value, b));
            }
        }
    }
    out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    Ok(out)
}

fn model() -> Model {
    Model {
        test: ThresholdTest::TTest,
        min_sample_size: None,
        max_sample_size: Some(64),
        window: Some(3600),
        lower_boundary: None,
        upper_boundary: Some(0.99),
    }
}

async fn latency_threshold(db: &DatabaseConnection, f: &Fixture) -> anyhow::Result<()> {
    let latency = measure::Entity::find()
        .filter(measure::Column::ProjectId.eq(f.project.id))
        .filter(measure::Column::Slug.eq("latency"))
        .one(db)
        .await?
        .unwrap();
    let m = model();
    let wire = JsonThresholdModel {
        test: WireTest::TTest,
        min_sample_size: m.min_sample_size,
        max_sample_size: m.max_sample_size,
        window: m.window,
        lower_boundary: m.lower_boundary,
        upper_boundary: m.upper_boundary,
    };
    set_threshold(
        db,
        f.project.id,
        f.branch.id,
        f.testbed.id,
        latency.id,
        &wire,
    )
    .await?;
    Ok(())
}

async fn regressions_alert_and_normal_values_do_not(db: DatabaseConnection) -> anyhow::Result<()> {
    let mut stack = Stack::start(db.clone()).await?;
    let f = fixture(&db, "thresholds").await?;
    let start = now() - Duration::minutes(40);
    let names = ["regressed", "steady", "regressed_bencher_ignore"];
    let mut history = Vec::new();
    for i in 0..30 {
        let value = 100.0 + f64::from(i % 5);
        let report = local_report(&db, &f, start + Duration::minutes(i.into()), "json").await?;
        let doc: Vec<(&str, f64)> = names.iter().map(|n| (*n, value)).collect();
        let outcome = process_local(&db, ReportUuid::from(report.uuid), &[bmf(&doc)]).await?;
        assert!(
            matches!(outcome, Outcome::Processed { metrics: 3, .. }),
            "{outcome:?}"
        );
        history.insert(0, value);
    }
    latency_threshold(&db, &f).await?;

    let report = local_report(&db, &f, now(), "json").await?;
    let doc = bmf(&[
        ("regressed", 200.0),
        ("steady", 102.0),
        ("regressed_bencher_ignore", 200.0),
    ]);
    let event = ReportEventMessage::new(
        ReportUuid::from(report.uuid),
        ReportEvent::Submitted {
            project: ProjectUuid::from(f.project.uuid),
            branch: f.branch.uuid.into(),
            testbed: f.testbed.uuid.into(),
            adapter: Adapter::Json,
            average: None,
            fold: None,
            results: vec![doc],
        },
    );
    let subjects = stack.ctx.subjects().clone();
    stack
        .publish(&event.subject(&subjects), &event.msg_id(), &event)
        .await?;
    let raised = stack
        .next_on(&subjects.alert_raised(ProjectUuid::from(f.project.uuid)))
        .await?;
    let processed = stack
        .next_on(&subjects.report_event(ReportUuid::from(report.uuid), ReportEventKind::Processed))
        .await?;
    assert_eq!(
        (processed["metrics"].as_u64(), processed["alerts"].as_u64()),
        (Some(3), Some(1))
    );

    let expected = bencher_stats::compute_boundary(&model(), &history).unwrap();
    let found = boundaries(&db, &report).await?;
    assert_eq!(found.len(), 3, "a boundary for every metric: {found:?}");
    for (name, _, _, b) in &found {
        assert_eq!(
            (b.baseline, b.upper_limit),
            (expected.baseline, expected.upper_limit),
            "{name}"
        );
        assert_eq!(b.lower_limit, None);
    }
    let upper = expected.upper_limit.unwrap();
    assert!(upper > 104.0 && upper < 200.0, "{upper}");
    let alerts = alert::Entity::find().all(&db).await?;
    assert_eq!(alerts.len(), 1, "only the regression alerts");
    let regressed = found.iter().find(|(n, ..)| n == "regressed").unwrap();
    assert_eq!(alerts[0].boundary_id, regressed.3.id);
    assert_eq!(
        (alerts[0].boundary_limit.as_str(), alerts[0].status.as_str()),
        ("upper", "active")
    );

    assert_eq!(raised["alert"]["uuid"], alerts[0].uuid.to_string());
    assert_eq!(raised["alert"]["benchmark"]["name"], "regressed");
    assert_eq!(raised["alert"]["limit"], "upper");
    assert_eq!(raised["alert"]["metric"]["value"], 200.0);
    assert_eq!(raised["alert"]["boundary"]["upper_limit"], upper);
    assert_eq!(raised["alert"]["report"], report.uuid.to_string());
    stack.stop().await
}

async fn a_later_iteration_is_judged_against_earlier_ones(
    db: DatabaseConnection,
) -> anyhow::Result<()> {
    let f = fixture(&db, "iterations").await?;
    // A measure to put the threshold on, from a report of another benchmark.
    let seed = local_report(&db, &f, now() - Duration::minutes(5), "json").await?;
    process_local(&db, ReportUuid::from(seed.uuid), &[bmf(&[("other", 1.0)])]).await?;
    latency_threshold(&db, &f).await?;

    let report = local_report(&db, &f, now(), "json").await?;
    let iterations: Vec<String> = [100.0, 101.0, 300.0]
        .iter()
        .map(|v| bmf(&[("fresh", *v)]))
        .collect();
    let outcome = process_local(&db, ReportUuid::from(report.uuid), &iterations).await?;
    let Outcome::Processed {
        metrics, alerts, ..
    } = outcome
    else {
        panic!("not processed: {outcome:?}");
    };
    assert_eq!(metrics, 3);
    // Iteration 0 has no history, iteration 1 one point (t_test needs two): no boundary.
    let found = boundaries(&db, &report).await?;
    assert_eq!(found.len(), 1, "{found:?}");
    let (_, iteration, value, b) = &found[0];
    assert_eq!((*iteration, *value), (2, 300.0));
    let expected = bencher_stats::compute_boundary(&model(), &[101.0, 100.0]).unwrap();
    assert_eq!(
        (b.baseline, b.upper_limit),
        (expected.baseline, expected.upper_limit)
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].benchmark.name, "fresh");

    // Processing it again (a redelivery) changes nothing and reports the same alert.
    let again = process_local(&db, ReportUuid::from(report.uuid), &iterations).await?;
    let Outcome::Processed {
        metrics: m2,
        alerts: a2,
        ..
    } = again
    else {
        panic!("not processed: {again:?}");
    };
    assert_eq!((m2, a2), (metrics, alerts));
    Ok(())
}

async fn racing_deliveries_store_once(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "race").await?;
    let report = local_report(&db, &f, now(), "json").await?;
    let doc: Vec<(String, f64)> = (0..200).map(|i| (format!("b{i}"), f64::from(i))).collect();
    let doc: Vec<(&str, f64)> = doc.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let results = vec![bmf(&doc)];
    let uuid = ReportUuid::from(report.uuid);
    let (a, b) = tokio::join!(
        process_local(&db, uuid, &results),
        process_local(&db, uuid, &results)
    );
    let (a, b) = (a?, b?);
    assert_eq!(a, b);
    assert!(
        matches!(a, Outcome::Processed { metrics: 200, .. }),
        "{a:?}"
    );
    assert_eq!(metric::Entity::find().all(&db).await?.len(), 200);
    Ok(())
}

db_tests!(
    regressions_alert_and_normal_values_do_not,
    a_later_iteration_is_judged_against_earlier_ones,
    racing_deliveries_store_once,
);
