//! Intake's queries on SQLite and PostgreSQL: run targets, thresholds, the outbox and the job
//! listing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use bencher_db::DatabaseConnection;
use bencher_db::DbError;
use bencher_db::entities::{model, project};
use bencher_db::queries::intake::outbox::{
    mark_job_announced, mark_report_announced, unannounced_jobs, unannounced_reports,
};
use bencher_db::queries::intake::target::{RunTargetRequest, find_project, resolve_run_target};
use bencher_db::queries::intake::thresholds::upsert_run_thresholds;
use bencher_db::queries::intake::views::{job_in_project, list_jobs};
use bencher_db::queries::job::{NewJob, create_report_with_job};
use bencher_testkit::db_tests;
use bencher_wire::Priority;
use bencher_wire::ids::JobUuid;
use bencher_wire::json::{JsonThresholdModel, ThresholdTest};
use bencher_wire::values::NameId;
use chrono::{Duration, Utc};
use common::{fixture, new_report};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

fn name_id(s: &str) -> Option<NameId> {
    Some(s.parse().unwrap())
}

async fn run_targets_are_found_or_created(db: DatabaseConnection) -> anyhow::Result<()> {
    let req = RunTargetRequest {
        project: name_id("My Project"),
        branch: name_id("feature/login"),
        testbed: None,
    };
    let first = resolve_run_target(&db, &req).await?;
    assert_eq!(first.project.slug, "my-project");
    assert_eq!(first.project.name, "My Project");
    assert!(
        !first.project.claimed,
        "anonymous runs create unclaimed projects"
    );
    assert_eq!(first.organization.priority, Priority::Unclaimed.value());
    assert_eq!(first.organization.slug, "my-project");
    assert_eq!(first.branch.name, "feature/login");
    assert_eq!(first.branch.slug, "feature-login");
    assert_eq!(first.testbed.slug, "localhost");
    // The same names (or the slug, or the UUID) find the same rows.
    assert_eq!(resolve_run_target(&db, &req).await?, first);
    let by_slug = RunTargetRequest {
        project: name_id("my-project"),
        branch: name_id("feature-login"),
        testbed: name_id("localhost"),
    };
    assert_eq!(resolve_run_target(&db, &by_slug).await?, first);
    let by_uuid = RunTargetRequest {
        project: Some(NameId::Uuid(first.project.uuid)),
        branch: Some(NameId::Uuid(first.branch.uuid)),
        testbed: Some(NameId::Uuid(first.testbed.uuid)),
    };
    assert_eq!(resolve_run_target(&db, &by_uuid).await?, first);
    // A UUID names an existing resource only.
    let unknown = RunTargetRequest {
        project: Some(NameId::Uuid(uuid::Uuid::now_v7())),
        ..Default::default()
    };
    let err = resolve_run_target(&db, &unknown).await.unwrap_err();
    assert!(
        matches!(
            err,
            DbError::NotFound {
                what: "project",
                ..
            }
        ),
        "{err}"
    );
    // No project: a new one each time.
    let a = resolve_run_target(&db, &RunTargetRequest::default()).await?;
    let b = resolve_run_target(&db, &RunTargetRequest::default()).await?;
    assert_ne!(a.project.id, b.project.id);
    assert_eq!(project::Entity::find().count(&db).await?, 3);
    assert_eq!(
        find_project(&db, &"My Project".parse()?).await?.unwrap().id,
        first.project.id
    );
    Ok(())
}

fn t_test(upper: f64) -> JsonThresholdModel {
    JsonThresholdModel {
        test: ThresholdTest::TTest,
        min_sample_size: Some(2),
        max_sample_size: Some(64),
        window: None,
        lower_boundary: None,
        upper_boundary: Some(upper),
    }
}

async fn thresholds_get_a_new_model_only_on_change(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "thresholds").await?;
    let mut models = BTreeMap::new();
    models.insert("latency".to_owned(), t_test(0.99));
    models.insert("Throughput".to_owned(), t_test(0.95));
    let upsert = |models: BTreeMap<String, JsonThresholdModel>, reset| {
        let db = db.clone();
        async move {
            upsert_run_thresholds(&db, f.project.id, f.branch.id, f.testbed.id, &models, reset)
                .await
        }
    };
    let first = upsert(models.clone(), false).await?;
    assert_eq!(first.updated.len(), 2);
    assert!(upsert(models.clone(), false).await?.updated.is_empty());
    let current = || async {
        model::Entity::find()
            .filter(model::Column::Replaced.is_null())
            .all(&db)
            .await
    };
    assert_eq!(current().await?.len(), 2);
    models.insert("latency".to_owned(), t_test(0.9));
    let changed = upsert(models.clone(), false).await?;
    assert_eq!(changed.updated.len(), 1);
    assert_eq!(model::Entity::find().count(&db).await?, 3);
    assert_eq!(current().await?.len(), 2);
    // Reset retires the thresholds the run does not name.
    models.remove("Throughput");
    let reset = upsert(models, true).await?;
    assert!(reset.updated.is_empty());
    assert_eq!(reset.retired.len(), 1);
    let left = current().await?;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].upper_boundary, Some(0.9));
    Ok(())
}

async fn the_outbox_finds_what_was_never_announced(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "outbox").await?;
    let new_job = || NewJob {
        uuid: JobUuid::new(),
        organization_id: f.organization.id,
        priority: Priority::Free,
        image: "demo:v1".to_owned(),
        config: serde_json::json!({"iter": 1}),
        timeout: 60,
        source_ip: None,
    };
    let (_, a) = create_report_with_job(&db, new_report(&f, Utc::now()), Some(new_job())).await?;
    let (_, b) = create_report_with_job(&db, new_report(&f, Utc::now()), Some(new_job())).await?;
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut local = new_report(&f, Utc::now());
    local.results_ref = Some(serde_json::json!({"kind": "inline", "results": ["{}"]}));
    let (local, _) = create_report_with_job(&db, local, None).await?;
    // A report without results (an image run's) is not a local-flow report.
    let later = Utc::now() + Duration::seconds(60);
    let jobs = unannounced_jobs(&db, later, 10).await?;
    assert_eq!(
        jobs.iter().map(|j| j.job.id).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    assert_eq!(jobs[0].testbed.id, f.testbed.id);
    assert_eq!(jobs[0].organization.id, f.organization.id);
    let reports = unannounced_reports(&db, later, 10).await?;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].report.id, local.id);
    // Too young to be suspicious.
    let earlier = Utc::now() - Duration::seconds(60);
    assert!(unannounced_jobs(&db, earlier, 10).await?.is_empty());

    mark_job_announced(&db, a.id).await?;
    mark_job_announced(&db, a.id).await?;
    mark_report_announced(&db, local.id).await?;
    let jobs = unannounced_jobs(&db, later, 10).await?;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].job.id, b.id);
    assert!(unannounced_reports(&db, later, 10).await?.is_empty());

    // Jobs past `requested` are not re-announced.
    let moved = bencher_db::queries::job::job_transition(
        &db,
        JobUuid::from(b.uuid),
        &[bencher_db::JobStatus::Requested],
        bencher_db::JobStatus::Pending,
        Default::default(),
    )
    .await?;
    assert!(moved);
    assert!(unannounced_jobs(&db, later, 10).await?.is_empty());
    Ok(())
}

async fn jobs_are_paged_newest_first(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "paging").await?;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let job = NewJob {
            uuid: JobUuid::new(),
            organization_id: f.organization.id,
            priority: Priority::Free,
            image: "demo:v1".to_owned(),
            config: serde_json::json!({}),
            timeout: 60,
            source_ip: None,
        };
        let (report, job) =
            create_report_with_job(&db, new_report(&f, Utc::now()), Some(job)).await?;
        let job = job.unwrap();
        ids.push((job.uuid, report.uuid));
    }
    let page1 = list_jobs(&db, f.project.id, 1, 2).await?;
    let page3 = list_jobs(&db, f.project.id, 3, 2).await?;
    assert_eq!(page1.total, 5);
    assert_eq!(
        page1.jobs.iter().map(|r| r.job.uuid).collect::<Vec<_>>(),
        vec![ids[4].0, ids[3].0]
    );
    assert_eq!(page3.jobs.len(), 1);
    assert_eq!(page3.jobs[0].job.uuid, ids[0].0);
    assert_eq!(page3.jobs[0].report.as_uuid(), ids[0].1);
    let other = fixture(&db, "elsewhere").await?;
    let found = job_in_project(&db, f.project.id, JobUuid::from(ids[0].0)).await?;
    assert!(found.is_some());
    assert!(
        job_in_project(&db, other.project.id, JobUuid::from(ids[0].0))
            .await?
            .is_none()
    );
    Ok(())
}

db_tests!(
    run_targets_are_found_or_created,
    thresholds_get_a_new_model_only_on_change,
    the_outbox_finds_what_was_never_announced,
    jobs_are_paged_newest_first,
);
