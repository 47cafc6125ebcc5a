//! Fixtures shared by the database tests.

#![allow(dead_code)]

use bencher_db::DatabaseConnection;
use bencher_db::entities::{branch, organization, project, report, testbed};
use bencher_db::queries::job::{NewReport, create_report_with_job};
use bencher_db::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use bencher_db::types::Visibility;
use bencher_wire::ids::ReportUuid;
use bencher_wire::{Priority, Slug};
use chrono::{DateTime, Utc};

/// An organization with one project, branch and testbed.
pub struct Fixture {
    pub organization: organization::Model,
    pub project: project::Model,
    pub branch: branch::Model,
    pub testbed: testbed::Model,
}

pub fn slug(s: &str) -> Slug {
    s.parse().unwrap()
}

pub async fn fixture(db: &DatabaseConnection, name: &str) -> anyhow::Result<Fixture> {
    let organization = get_or_create_organization(db, &slug(name), name, Priority::Free).await?;
    let project = get_or_create_project(
        db,
        organization.id,
        &slug(name),
        name,
        Visibility::Public,
        false,
    )
    .await?;
    let branch = get_or_create_branch(db, project.id, &slug("main"), "main").await?;
    let testbed = get_or_create_testbed(db, project.id, &slug("ci"), "ci").await?;
    Ok(Fixture {
        organization,
        project,
        branch,
        testbed,
    })
}

pub fn new_report(f: &Fixture, start: DateTime<Utc>) -> NewReport {
    NewReport {
        uuid: ReportUuid::new(),
        project_id: f.project.id,
        branch_id: f.branch.id,
        testbed_id: f.testbed.id,
        hash: Some("abc123".into()),
        start_time: start,
        end_time: start,
        adapter: "json".into(),
        average: None,
        fold: None,
        results_ref: None,
    }
}

/// A report without a job, started at `start`.
pub async fn report_at(
    db: &DatabaseConnection,
    f: &Fixture,
    start: DateTime<Utc>,
) -> anyhow::Result<report::Model> {
    Ok(create_report_with_job(db, new_report(f, start), None)
        .await?
        .0)
}
