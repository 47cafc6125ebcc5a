//! The `/v0` threshold and alert queries on both backends: create on existing resources (by
//! slug, name or UUID; missing ones named), a duplicate reported, update as a new model version
//! with the old one kept and marked replaced, filters and pagination, delete cascading to
//! boundaries and alerts; alerts listed newest first by status with their report, a status
//! change that touches `modified` only when it changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::entities::{alert, boundary};
use bencher_db::queries::alerts::{alert_in_project, list_alerts, set_alert_status};
use bencher_db::queries::metrics::{NewMeasure, NewMetric, get_or_create_measures, store_metrics};
use bencher_db::queries::processor::alerts::{
    NewAlert, NewBoundary, insert_alerts, insert_boundaries,
};
use bencher_db::queries::tenancy::get_or_create_branch;
use bencher_db::queries::thresholds::{
    CreatedThreshold, ThresholdFilter, create_threshold, delete_threshold, list_thresholds,
    threshold_in_project, threshold_models, update_threshold,
};
use bencher_db::{AlertStatus, BoundaryLimit, DatabaseConnection, DbError};
use bencher_testkit::db_tests;
use bencher_wire::json::{JsonThresholdModel, ThresholdTest};
use bencher_wire::values::NameId;
use chrono::{Duration, Utc};
use common::{fixture, report_at, slug};
use sea_orm::{EntityTrait, PaginatorTrait};

fn model(test: ThresholdTest, upper: f64) -> JsonThresholdModel {
    JsonThresholdModel {
        test,
        min_sample_size: None,
        max_sample_size: None,
        window: None,
        lower_boundary: None,
        upper_boundary: Some(upper),
    }
}

fn id(s: &str) -> NameId {
    NameId::parse(s).unwrap()
}

async fn thresholds_crud(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "crud").await?;
    get_or_create_branch(&db, f.project.id, &slug("feature-login"), "feature/login").await?;
    get_or_create_measures(&db, f.project.id, &[NewMeasure::for_slug(&slug("latency"))]).await?;
    let pid = f.project.id;

    // Missing resources are named.
    let err = create_threshold(
        &db,
        pid,
        (&id("main"), &id("ci"), &id("throughput")),
        &model(ThresholdTest::Static, 1.0),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, DbError::NotFound { what: "measure", key } if key == "throughput"),
        "{err}"
    );

    // By name (`feature/login`), slug and UUID.
    let testbed = NameId::Uuid(f.testbed.uuid);
    let ids = (&id("feature/login"), &testbed, &id("latency"));
    let CreatedThreshold::Created(created) =
        create_threshold(&db, pid, ids, &model(ThresholdTest::TTest, 0.99)).await?
    else {
        panic!("not created");
    };
    assert_eq!(created.branch.slug, "feature-login");
    assert_eq!(created.measure.units, "nanoseconds (ns)");
    let first = created.model.clone().unwrap();
    let again = create_threshold(&db, pid, ids, &model(ThresholdTest::Static, 5.0)).await?;
    assert!(matches!(again, CreatedThreshold::Exists(ref row) if row.model == Some(first.clone())));
    let other = (&id("main"), &id("ci"), &id("latency"));
    create_threshold(&db, pid, other, &model(ThresholdTest::Percentage, 0.1)).await?;

    // Update: a new version, the old kept and replaced; the same model again changes nothing.
    let uuid = created.threshold.uuid;
    let updated = update_threshold(&db, pid, uuid, &model(ThresholdTest::Iqr, 2.0))
        .await?
        .unwrap();
    let current = updated.model.clone().unwrap();
    assert_eq!(
        (current.test.as_str(), current.upper_boundary),
        ("iqr", Some(2.0))
    );
    assert!(updated.threshold.modified >= created.threshold.modified);
    update_threshold(&db, pid, uuid, &model(ThresholdTest::Iqr, 2.0)).await?;
    let versions = threshold_models(&db, created.threshold.id).await?;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].uuid, first.uuid);
    assert!(versions[0].replaced.is_some());
    assert_eq!(versions[1], current);
    assert!(
        update_threshold(&db, pid + 1000, uuid, &model(ThresholdTest::Iqr, 1.0))
            .await?
            .is_none()
    );

    // Listing: newest first, filters, pages, total.
    let all = list_thresholds(&db, pid, &ThresholdFilter::default(), 1, 25).await?;
    assert_eq!(all.total, 2);
    assert_eq!(all.thresholds[1].threshold.uuid, uuid);
    let by_branch = ThresholdFilter {
        branch: Some(id("feature-login")),
        ..Default::default()
    };
    let page = list_thresholds(&db, pid, &by_branch, 1, 25).await?;
    assert_eq!((page.total, page.thresholds.len()), (1, 1));
    assert_eq!(page.thresholds[0].threshold.uuid, uuid);
    let nowhere = ThresholdFilter {
        testbed: Some(id("nowhere")),
        ..Default::default()
    };
    assert_eq!(list_thresholds(&db, pid, &nowhere, 1, 25).await?.total, 0);
    let second = list_thresholds(&db, pid, &ThresholdFilter::default(), 2, 1).await?;
    assert_eq!((second.total, second.thresholds.len()), (2, 1));
    assert_eq!(second.thresholds[0].threshold.uuid, uuid);

    // Delete: gone, with its versions; another project cannot delete it.
    assert!(!delete_threshold(&db, pid + 1000, uuid).await?);
    assert!(delete_threshold(&db, pid, uuid).await?);
    assert!(threshold_in_project(&db, pid, uuid).await?.is_none());
    assert!(
        threshold_models(&db, created.threshold.id)
            .await?
            .is_empty()
    );
    assert!(!delete_threshold(&db, pid, uuid).await?);
    Ok(())
}

async fn alerts_are_listed_and_dismissed(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "alerts").await?;
    let pid = f.project.id;
    get_or_create_measures(&db, pid, &[NewMeasure::for_slug(&slug("latency"))]).await?;
    let ids = (&id("main"), &id("ci"), &id("latency"));
    let CreatedThreshold::Created(t) =
        create_threshold(&db, pid, ids, &model(ThresholdTest::Static, 10.0)).await?
    else {
        panic!("not created");
    };
    let current = t.model.clone().unwrap();
    // Three reports, one alerting metric each, a minute apart.
    let mut raised = Vec::new();
    for i in 0..3 {
        let report = report_at(&db, &f, Utc::now() + Duration::minutes(i)).await?;
        let metric = NewMetric {
            iteration: 0,
            benchmark: "fib".into(),
            measure: slug("latency"),
            value: 20.0 + i as f64,
            lower_value: None,
            upper_value: None,
        };
        let stored = store_metrics(&db, pid, report.id, &[metric]).await?;
        let rows = insert_boundaries(
            &db,
            &[NewBoundary {
                metric_id: stored[0].metric.id,
                threshold_id: t.threshold.id,
                model_id: current.id,
                baseline: None,
                lower_limit: None,
                upper_limit: Some(10.0),
            }],
        )
        .await?;
        let boundary_id = rows[&stored[0].metric.id].id;
        insert_alerts(
            &db,
            pid,
            &[NewAlert {
                boundary_id,
                limit: BoundaryLimit::Upper,
            }],
        )
        .await?;
        raised.push((report.uuid, stored[0].metric.value));
    }

    let page = list_alerts(&db, pid, Some(AlertStatus::Active), 1, 2).await?;
    assert_eq!((page.total, page.alerts.len()), (3, 2));
    let newest = &page.alerts[0];
    assert_eq!((newest.report_uuid, newest.value), raised[2]);
    assert_eq!(page.alerts[1].value, raised[1].1);
    assert_eq!(
        (newest.boundary_limit.as_str(), newest.upper_limit),
        ("upper", Some(10.0))
    );
    assert_eq!(
        (newest.benchmark_name.as_str(), newest.measure_slug.as_str()),
        ("fib", "latency")
    );
    let last = list_alerts(&db, pid, None, 2, 2).await?;
    assert_eq!(last.alerts[0].value, raised[0].1);

    let dismissed = set_alert_status(&db, pid, newest.alert_uuid, AlertStatus::Dismissed)
        .await?
        .unwrap();
    assert_eq!(dismissed.status, "dismissed");
    assert!(dismissed.modified >= newest.modified);
    let same = set_alert_status(&db, pid, newest.alert_uuid, AlertStatus::Dismissed)
        .await?
        .unwrap();
    assert_eq!(
        same.modified, dismissed.modified,
        "no change, no new modified"
    );
    assert_eq!(
        list_alerts(&db, pid, Some(AlertStatus::Active), 1, 25)
            .await?
            .total,
        2
    );
    let listed = list_alerts(&db, pid, Some(AlertStatus::Dismissed), 1, 25).await?;
    assert_eq!(listed.alerts, vec![dismissed.clone()]);
    assert_eq!(
        alert_in_project(&db, pid, newest.alert_uuid).await?,
        Some(dismissed)
    );
    assert!(
        alert_in_project(&db, pid + 1000, newest.alert_uuid)
            .await?
            .is_none()
    );
    assert!(
        set_alert_status(&db, pid + 1000, newest.alert_uuid, AlertStatus::Active)
            .await?
            .is_none()
    );

    // Deleting the threshold takes its boundaries and alerts with it.
    assert!(delete_threshold(&db, pid, t.threshold.uuid).await?);
    assert_eq!(alert::Entity::find().count(&db).await?, 0);
    assert_eq!(boundary::Entity::find().count(&db).await?, 0);
    Ok(())
}

db_tests!(thresholds_crud, alerts_are_listed_and_dismissed);
