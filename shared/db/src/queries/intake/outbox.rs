//! The outbox of creation events. Intake commits a job (or a local-flow report), publishes its
//! creation event, and stamps `announced` once JetStream acknowledged it. A row left with
//! `announced IS NULL` was committed by a process that died (or lost NATS) before the PubAck:
//! [`unannounced_jobs`] and [`unannounced_reports`] find them so they can be re-published with the
//! same `Nats-Msg-Id`.

use chrono::Utc;
use sea_orm::prelude::{DateTimeUtc, Expr};
use sea_orm::sea_query::{Alias, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::{branch, job, organization, project, report, testbed};
use crate::error::DbError;
use crate::types::JobStatus;

/// The outbox column (added by migration `m20260201_000001_add_announced`).
const ANNOUNCED: &str = "announced";

/// Stamp the job's creation event as acknowledged. Idempotent.
pub async fn mark_job_announced<C: ConnectionTrait>(db: &C, job_id: i64) -> Result<(), DbError> {
    job::Entity::update_many()
        .col_expr(Alias::new(ANNOUNCED), Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(job_id))
        .filter(Expr::col((job::Entity, Alias::new(ANNOUNCED))).is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Stamp the report's `submitted` event as acknowledged. Idempotent.
pub async fn mark_report_announced<C: ConnectionTrait>(
    db: &C,
    report_id: i64,
) -> Result<(), DbError> {
    report::Entity::update_many()
        .col_expr(Alias::new(ANNOUNCED), Expr::value(Utc::now()))
        .filter(report::Column::Id.eq(report_id))
        .filter(Expr::col((report::Entity, Alias::new(ANNOUNCED))).is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// A job whose `requested` event may never have been published, with what the event names.
#[derive(Clone, Debug, PartialEq)]
pub struct UnannouncedJob {
    /// The job.
    pub job: job::Model,
    /// Its report.
    pub report: report::Model,
    /// Its project.
    pub project: project::Model,
    /// The project's organization.
    pub organization: organization::Model,
    /// The report's testbed.
    pub testbed: testbed::Model,
}

/// Jobs still `requested`, never announced and created before `created_before`, oldest first.
pub async fn unannounced_jobs<C: ConnectionTrait>(
    db: &C,
    created_before: DateTimeUtc,
    limit: u64,
) -> Result<Vec<UnannouncedJob>, DbError> {
    let jobs = job::Entity::find()
        .filter(job::Column::Status.eq(JobStatus::Requested.as_str()))
        .filter(Expr::col((job::Entity, Alias::new(ANNOUNCED))).is_null())
        .filter(job::Column::Created.lt(created_before))
        .order_by_asc(job::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let report = one(
            report::Entity::find_by_id(job.report_id),
            db,
            "report",
            job.report_id,
        )
        .await?;
        let project = one(
            project::Entity::find_by_id(job.project_id),
            db,
            "project",
            job.project_id,
        )
        .await?;
        let organization = one(
            organization::Entity::find_by_id(job.organization_id),
            db,
            "organization",
            job.organization_id,
        )
        .await?;
        let testbed = one(
            testbed::Entity::find_by_id(report.testbed_id),
            db,
            "testbed",
            report.testbed_id,
        )
        .await?;
        out.push(UnannouncedJob {
            job,
            report,
            project,
            organization,
            testbed,
        });
    }
    Ok(out)
}

/// A local-flow report whose `submitted` event may never have been published.
#[derive(Clone, Debug, PartialEq)]
pub struct UnannouncedReport {
    /// The report (its `results_ref` holds the raw results).
    pub report: report::Model,
    /// Its project.
    pub project: project::Model,
    /// Its branch.
    pub branch: branch::Model,
    /// Its testbed.
    pub testbed: testbed::Model,
}

/// Reports with raw results, without a job, never announced and created before
/// `created_before`, oldest first.
pub async fn unannounced_reports<C: ConnectionTrait>(
    db: &C,
    created_before: DateTimeUtc,
    limit: u64,
) -> Result<Vec<UnannouncedReport>, DbError> {
    let reports = report::Entity::find()
        .filter(Expr::col((report::Entity, Alias::new(ANNOUNCED))).is_null())
        .filter(report::Column::ResultsRef.is_not_null())
        .filter(report::Column::Created.lt(created_before))
        .filter(
            report::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(job::Column::ReportId)
                    .from(job::Entity)
                    .to_owned(),
            ),
        )
        .order_by_asc(report::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(reports.len());
    for report in reports {
        let project = one(
            project::Entity::find_by_id(report.project_id),
            db,
            "project",
            report.project_id,
        )
        .await?;
        let branch = one(
            branch::Entity::find_by_id(report.branch_id),
            db,
            "branch",
            report.branch_id,
        )
        .await?;
        let testbed = one(
            testbed::Entity::find_by_id(report.testbed_id),
            db,
            "testbed",
            report.testbed_id,
        )
        .await?;
        out.push(UnannouncedReport {
            report,
            project,
            branch,
            testbed,
        });
    }
    Ok(out)
}

async fn one<C, E>(
    select: sea_orm::Select<E>,
    db: &C,
    what: &'static str,
    id: i64,
) -> Result<E::Model, DbError>
where
    C: ConnectionTrait,
    E: EntityTrait,
{
    select.one(db).await?.ok_or_else(|| DbError::NotFound {
        what,
        key: id.to_string(),
    })
}
