//! The resolver's write applies once: digest, spec, priority and timeout land on a job still
//! `requested` and unresolved, with an explicit spec pinned on the testbed in the same
//! transaction; a second resolution, or one for a job that ended, changes nothing. On both
//! backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::entities::testbed;
use bencher_db::queries::job::{
    JobFields, NewJob, create_report_with_job, job_by_uuid, job_transition,
};
use bencher_db::queries::notifier::report_of_job;
use bencher_db::queries::resolver::{
    Resolution, organization_by_uuid, record_resolution, spec_by_id, spec_by_uuid, testbed_by_uuid,
};
use bencher_db::queries::spec::{NewSpec, upsert_default_spec};
use bencher_db::{DatabaseConnection, JobStatus};
use bencher_testkit::db_tests;
use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, OrganizationUuid, ReportUuid, TestbedUuid};
use chrono::Utc;
use common::{Fixture, fixture, new_report, slug};
use sea_orm::EntityTrait;
use serde_json::json;

async fn job(db: &DatabaseConnection, f: &Fixture) -> anyhow::Result<(JobUuid, ReportUuid)> {
    let uuid = JobUuid::new();
    let report = new_report(f, Utc::now());
    let report_uuid = report.uuid;
    create_report_with_job(
        db,
        report,
        Some(NewJob {
            uuid,
            organization_id: f.organization.id,
            priority: Priority::Unclaimed,
            image: "127.0.0.1:5000/app:v1".into(),
            config: json!({}),
            timeout: 60,
            source_ip: None,
        }),
    )
    .await?;
    Ok((uuid, report_uuid))
}

async fn spec(db: &DatabaseConnection, name: &str) -> anyhow::Result<i64> {
    let new = NewSpec {
        slug: slug(name),
        name: name.into(),
        architecture: "x86_64".into(),
        cpu: 2,
        memory: 1 << 30,
        disk: 1 << 30,
        network: false,
    };
    Ok(upsert_default_spec(db, new).await?.id)
}

async fn resolution_applies_once(db: DatabaseConnection) -> anyhow::Result<()> {
    let f = fixture(&db, "resolver").await?;
    let big = spec(&db, "big").await?;
    let small = spec(&db, "small").await?;
    let (uuid, report) = job(&db, &f).await?;
    let resolution = Resolution {
        digest: format!("sha256:{}", "a".repeat(64)),
        spec_id: big,
        priority: Priority::Plus,
        timeout: 3600,
        testbed_id: Some(f.testbed.id),
    };
    assert!(record_resolution(&db, uuid, &resolution).await?);
    let row = job_by_uuid(&db, uuid).await?.unwrap();
    assert_eq!(row.digest, Some(resolution.digest.clone()));
    assert_eq!(
        (row.spec_id, row.priority, row.timeout),
        (Some(big), 200, 3600)
    );
    assert_eq!(row.status, "requested");
    let tb = testbed::Entity::find_by_id(f.testbed.id)
        .one(&db)
        .await?
        .unwrap();
    assert_eq!(tb.spec_id, Some(big));

    // Again, with other values: nothing changes, the testbed included.
    let other = Resolution {
        digest: format!("sha256:{}", "b".repeat(64)),
        spec_id: small,
        priority: Priority::Free,
        timeout: 5,
        testbed_id: Some(f.testbed.id),
    };
    assert!(!record_resolution(&db, uuid, &other).await?);
    assert_eq!(job_by_uuid(&db, uuid).await?.unwrap(), row);
    let tb = testbed::Entity::find_by_id(f.testbed.id)
        .one(&db)
        .await?
        .unwrap();
    assert_eq!(tb.spec_id, Some(big));

    // A job that ended before resolution stays unresolved.
    let (ended, _) = job(&db, &f).await?;
    let failed = job_transition(
        &db,
        ended,
        &[JobStatus::Requested],
        JobStatus::Canceled,
        JobFields::default(),
    )
    .await?;
    assert!(failed);
    assert!(!record_resolution(&db, ended, &other).await?);
    assert_eq!(job_by_uuid(&db, ended).await?.unwrap().digest, None);

    // The reads the resolver and notifier use.
    assert_eq!(report_of_job(&db, uuid).await?, Some(report));
    assert_eq!(report_of_job(&db, JobUuid::new()).await?, None);
    let org = OrganizationUuid::from(f.organization.uuid);
    assert_eq!(
        organization_by_uuid(&db, org).await?.unwrap().id,
        f.organization.id
    );
    let tb_uuid = TestbedUuid::from(f.testbed.uuid);
    assert_eq!(
        testbed_by_uuid(&db, tb_uuid).await?.unwrap().id,
        f.testbed.id
    );
    let big_row = spec_by_id(&db, big).await?.unwrap();
    assert_eq!(spec_by_uuid(&db, big_row.uuid).await?.unwrap().id, big);
    assert!(!big_row.is_default, "small became the default");
    Ok(())
}

db_tests!(resolution_applies_once);
