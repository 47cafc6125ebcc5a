//! Read models of the `/v0` API: jobs of a project (newest first, paginated), one job with its
//! spec and runner, one report with everything the processor stored for it.

use std::collections::HashSet;

use bencher_wire::ids::{JobUuid, ReportUuid};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::{
    alert, benchmark, boundary, branch, job, measure, metric, model, project, report,
    report_benchmark, runner, spec, testbed, threshold,
};
use crate::error::DbError;

/// One page of a project's jobs.
#[derive(Clone, Debug, PartialEq)]
pub struct JobPage {
    /// The jobs of the page, newest first.
    pub jobs: Vec<JobRow>,
    /// How many jobs the project has in all.
    pub total: u64,
}

/// A job with what its public view names.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRow {
    /// The job.
    pub job: job::Model,
    /// Its report's public id.
    pub report: ReportUuid,
    /// Its spec, once resolved.
    pub spec: Option<spec::Model>,
    /// The runner that holds or held it.
    pub runner: Option<runner::Model>,
}

/// Jobs of the project, newest first; `page` counts from 1, `per_page` is at least 1.
pub async fn list_jobs<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    page: u64,
    per_page: u64,
) -> Result<JobPage, DbError> {
    let query = job::Entity::find().filter(job::Column::ProjectId.eq(project_id));
    let total = query.clone().count(db).await?;
    let per_page = per_page.max(1);
    let jobs = query
        .order_by_desc(job::Column::Created)
        .order_by_desc(job::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok(JobPage {
        jobs: job_rows(db, jobs).await?,
        total,
    })
}

/// The job of the project with this public id.
pub async fn job_in_project<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    uuid: JobUuid,
) -> Result<Option<JobRow>, DbError> {
    let found = job::Entity::find()
        .filter(job::Column::ProjectId.eq(project_id))
        .filter(job::Column::Uuid.eq(uuid.as_uuid()))
        .one(db)
        .await?;
    Ok(match found {
        Some(job) => job_rows(db, vec![job]).await?.pop(),
        None => None,
    })
}

/// The job that fills this report, if it is an image run.
pub async fn job_of_report<C: ConnectionTrait>(
    db: &C,
    report_id: i64,
) -> Result<Option<JobRow>, DbError> {
    let found = job::Entity::find()
        .filter(job::Column::ReportId.eq(report_id))
        .one(db)
        .await?;
    Ok(match found {
        Some(job) => job_rows(db, vec![job]).await?.pop(),
        None => None,
    })
}

async fn job_rows<C: ConnectionTrait>(
    db: &C,
    jobs: Vec<job::Model>,
) -> Result<Vec<JobRow>, DbError> {
    let report_ids: HashSet<i64> = jobs.iter().map(|j| j.report_id).collect();
    let spec_ids: HashSet<i64> = jobs.iter().filter_map(|j| j.spec_id).collect();
    let runner_ids: HashSet<i64> = jobs.iter().filter_map(|j| j.runner_id).collect();
    let reports = report::Entity::find()
        .filter(report::Column::Id.is_in(report_ids))
        .all(db)
        .await?;
    let specs = spec::Entity::find()
        .filter(spec::Column::Id.is_in(spec_ids))
        .all(db)
        .await?;
    let runners = runner::Entity::find()
        .filter(runner::Column::Id.is_in(runner_ids))
        .all(db)
        .await?;
    jobs.into_iter()
        .map(|job| {
            let report = reports
                .iter()
                .find(|r| r.id == job.report_id)
                .ok_or_else(|| DbError::NotFound {
                    what: "report",
                    key: job.report_id.to_string(),
                })?;
            Ok(JobRow {
                report: ReportUuid::from(report.uuid),
                spec: job
                    .spec_id
                    .and_then(|id| specs.iter().find(|s| s.id == id).cloned()),
                runner: job
                    .runner_id
                    .and_then(|id| runners.iter().find(|r| r.id == id).cloned()),
                job,
            })
        })
        .collect()
}

/// A report with every row its public view shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportDetail {
    /// The report.
    pub report: report::Model,
    /// Its project.
    pub project: project::Model,
    /// Its branch.
    pub branch: branch::Model,
    /// Its testbed.
    pub testbed: testbed::Model,
    /// Its benchmark runs, by iteration then id.
    pub report_benchmarks: Vec<report_benchmark::Model>,
    /// The benchmarks they ran.
    pub benchmarks: Vec<benchmark::Model>,
    /// Their metrics.
    pub metrics: Vec<metric::Model>,
    /// The measures of those metrics.
    pub measures: Vec<measure::Model>,
    /// Boundaries computed for those metrics.
    pub boundaries: Vec<boundary::Model>,
    /// Thresholds of those boundaries.
    pub thresholds: Vec<threshold::Model>,
    /// Model versions of those boundaries.
    pub models: Vec<model::Model>,
    /// Alerts raised on those boundaries.
    pub alerts: Vec<alert::Model>,
    /// The job that fills the report, for image runs.
    pub job: Option<JobRow>,
}

/// The report of the project with this public id, with its results; `None` if none.
pub async fn report_in_project<C: ConnectionTrait>(
    db: &C,
    project: &project::Model,
    uuid: ReportUuid,
) -> Result<Option<ReportDetail>, DbError> {
    let Some(report) = report::Entity::find()
        .filter(report::Column::ProjectId.eq(project.id))
        .filter(report::Column::Uuid.eq(uuid.as_uuid()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let branch = branch::Entity::find_by_id(report.branch_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("branch", report.branch_id))?;
    let testbed = testbed::Entity::find_by_id(report.testbed_id)
        .one(db)
        .await?
        .ok_or_else(|| missing("testbed", report.testbed_id))?;
    let report_benchmarks = report_benchmark::Entity::find()
        .filter(report_benchmark::Column::ReportId.eq(report.id))
        .order_by_asc(report_benchmark::Column::Iteration)
        .order_by_asc(report_benchmark::Column::Id)
        .all(db)
        .await?;
    let benchmarks = benchmark::Entity::find()
        .filter(benchmark::Column::Id.is_in(ids(&report_benchmarks, |rb| rb.benchmark_id)))
        .all(db)
        .await?;
    let metrics = metric::Entity::find()
        .filter(metric::Column::ReportBenchmarkId.is_in(ids(&report_benchmarks, |rb| rb.id)))
        .order_by_asc(metric::Column::Id)
        .all(db)
        .await?;
    let measures = measure::Entity::find()
        .filter(measure::Column::Id.is_in(ids(&metrics, |m| m.measure_id)))
        .all(db)
        .await?;
    let boundaries = boundary::Entity::find()
        .filter(boundary::Column::MetricId.is_in(ids(&metrics, |m| m.id)))
        .all(db)
        .await?;
    let thresholds = threshold::Entity::find()
        .filter(threshold::Column::Id.is_in(ids(&boundaries, |b| b.threshold_id)))
        .all(db)
        .await?;
    let models = model::Entity::find()
        .filter(model::Column::Id.is_in(ids(&boundaries, |b| b.model_id)))
        .all(db)
        .await?;
    let alerts = alert::Entity::find()
        .filter(alert::Column::BoundaryId.is_in(ids(&boundaries, |b| b.id)))
        .order_by_asc(alert::Column::Id)
        .all(db)
        .await?;
    let job = job_of_report(db, report.id).await?;
    Ok(Some(ReportDetail {
        report,
        project: project.clone(),
        branch,
        testbed,
        report_benchmarks,
        benchmarks,
        metrics,
        measures,
        boundaries,
        thresholds,
        models,
        alerts,
        job,
    }))
}

/// Distinct ids picked from rows (`IN` lists stay small: one report's rows).
fn ids<T>(rows: &[T], pick: impl Fn(&T) -> i64) -> Vec<i64> {
    let set: HashSet<i64> = rows.iter().map(pick).collect();
    set.into_iter().collect()
}

fn missing(what: &'static str, id: i64) -> DbError {
    DbError::NotFound {
        what,
        key: id.to_string(),
    }
}
