//! Reports and jobs: creation in one transaction, and the job state machine as conditional
//! updates.

use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, ReportUuid};
use bencher_wire::status::{CancelReason, FailureReason};
use chrono::Utc;
use sea_orm::prelude::{DateTimeUtc, Expr, Json};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::connect::begin_write;
use crate::entities::{job, report};
use crate::error::DbError;
use crate::types::JobStatus;

/// A report to create.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// Its public id (chosen by the caller, so events can name it before the commit).
    pub uuid: ReportUuid,
    /// The project.
    pub project_id: i64,
    /// The branch.
    pub branch_id: i64,
    /// The testbed.
    pub testbed_id: i64,
    /// Git commit hash.
    pub hash: Option<String>,
    /// Run start.
    pub start_time: DateTimeUtc,
    /// Run end (for an image run, updated when results arrive).
    pub end_time: DateTimeUtc,
    /// Adapter name.
    pub adapter: String,
    /// Bencher's `average` setting.
    pub average: Option<String>,
    /// Bencher's `fold` setting.
    pub fold: Option<String>,
    /// Where the raw results are (for a local run).
    pub results_ref: Option<Json>,
}

/// A job to create with its report, in state `requested`.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// Its public id.
    pub uuid: JobUuid,
    /// The organization (for concurrency limits).
    pub organization_id: i64,
    /// Priority tier at submission.
    pub priority: Priority,
    /// Image reference as submitted.
    pub image: String,
    /// Run settings.
    pub config: Json,
    /// Timeout in seconds.
    pub timeout: i32,
    /// Submitter's IP.
    pub source_ip: Option<String>,
}

/// Create the report and, if given, its job, atomically: either both rows exist or neither.
pub async fn create_report_with_job(
    db: &DatabaseConnection,
    new_report: NewReport,
    new_job: Option<NewJob>,
) -> Result<(report::Model, Option<job::Model>), DbError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let report = report::ActiveModel {
        uuid: Set(new_report.uuid.as_uuid()),
        project_id: Set(new_report.project_id),
        branch_id: Set(new_report.branch_id),
        testbed_id: Set(new_report.testbed_id),
        hash: Set(new_report.hash),
        start_time: Set(new_report.start_time),
        end_time: Set(new_report.end_time),
        adapter: Set(new_report.adapter),
        average: Set(new_report.average),
        fold: Set(new_report.fold),
        results_ref: Set(new_report.results_ref),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let job = match new_job {
        None => None,
        Some(new_job) => Some(
            job::ActiveModel {
                uuid: Set(new_job.uuid.as_uuid()),
                report_id: Set(report.id),
                organization_id: Set(new_job.organization_id),
                project_id: Set(report.project_id),
                status: Set(JobStatus::Requested.as_str().to_owned()),
                priority: Set(new_job.priority.value()),
                image: Set(new_job.image),
                digest: Set(None),
                spec_id: Set(None),
                config: Set(new_job.config),
                runner_id: Set(None),
                attempts: Set(0),
                timeout: Set(new_job.timeout),
                source_ip: Set(new_job.source_ip),
                created: Set(now),
                resolved: Set(None),
                claimed: Set(None),
                started: Set(None),
                completed: Set(None),
                modified: Set(now),
                exit_code: Set(None),
                reason_kind: Set(None),
                reason: Set(None),
                output: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?,
        ),
    };
    txn.commit().await?;
    Ok((report, job))
}

/// The job with this public id.
pub async fn job_by_uuid<C: ConnectionTrait>(
    db: &C,
    uuid: JobUuid,
) -> Result<Option<job::Model>, DbError> {
    Ok(job::Entity::find()
        .filter(job::Column::Uuid.eq(uuid.as_uuid()))
        .one(db)
        .await?)
}

/// Why a job failed or was canceled, stored as JSON with its `kind` in a column of its own.
#[derive(Clone, Debug, PartialEq)]
pub enum JobReason {
    /// The job failed.
    Failure(FailureReason),
    /// The job was canceled.
    Cancel(CancelReason),
}

impl JobReason {
    fn to_json(&self) -> Result<(String, Json), DbError> {
        let json = match self {
            JobReason::Failure(reason) => serde_json::to_value(reason)?,
            JobReason::Cancel(reason) => serde_json::to_value(reason)?,
        };
        let kind = json
            .get("kind")
            .and_then(Json::as_str)
            .unwrap_or("unknown")
            .to_owned();
        Ok((kind, json))
    }
}

/// The `reason_kind` of a failure a late `completed` may replace.
const RUNNER_LOST: &str = "runner_lost";

/// Columns a transition may set besides the status. `None` leaves a column unchanged.
#[derive(Clone, Debug, Default)]
pub struct JobFields {
    /// Resolved image digest.
    pub digest: Option<String>,
    /// Resolved spec.
    pub spec_id: Option<i64>,
    /// New numeric priority.
    pub priority: Option<i32>,
    /// Runner that claimed the job.
    pub runner_id: Option<i64>,
    /// Add one to `attempts` (a new dispatch).
    pub increment_attempts: bool,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Why it failed or was canceled.
    pub reason: Option<JobReason>,
    /// Output reference.
    pub output: Option<Json>,
}

/// Move `job` to `to` if, and only if, its current status is one of `from`: one conditional
/// `UPDATE ... WHERE uuid = ? AND status IN (...)`. Returns whether it applied; `false` means the
/// job was already elsewhere (a duplicate or stale event), which callers ack and drop.
///
/// The state machine is `bencher-wire`'s [`JobStatus::can_transition_to`], plus re-queueing
/// (`claimed`/`running` to `pending`, [`JobStatus::can_requeue`]) and Bencher's allowance
/// `failed -> completed`, which applies only when the stored failure is `runner_lost` (checked
/// in the same `WHERE`). Any other `from -> to` is refused with [`DbError::InvalidTransition`]
/// before touching the database.
///
/// Also stamps `resolved` (to `pending`), `claimed`, `started` (to `running`), `completed` (to
/// `completed`, `failed`, `canceled`) and `modified`; clears the runner on `pending` and the
/// reason on `completed` unless `fields` set them.
pub async fn job_transition<C: ConnectionTrait>(
    db: &C,
    job: JobUuid,
    from: &[JobStatus],
    to: JobStatus,
    fields: JobFields,
) -> Result<bool, DbError> {
    let mut plain = Vec::new();
    let mut late_completed = false;
    for &status in from {
        if status == JobStatus::Failed && to == JobStatus::Completed {
            late_completed = true;
        } else if status.can_transition_to(to, None)
            || (to == JobStatus::Pending && status.can_requeue())
        {
            plain.push(status.as_str());
        } else {
            return Err(DbError::InvalidTransition {
                from: status.as_str(),
                to: to.as_str(),
            });
        }
    }
    let mut allowed = Condition::any();
    if !plain.is_empty() {
        allowed = allowed.add(job::Column::Status.is_in(plain));
    }
    if late_completed {
        allowed = allowed.add(
            Condition::all()
                .add(job::Column::Status.eq(JobStatus::Failed.as_str()))
                .add(job::Column::ReasonKind.eq(RUNNER_LOST)),
        );
    }
    if allowed.is_empty() {
        return Ok(false);
    }

    let now = Utc::now();
    let mut update = job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(to.as_str()))
        .col_expr(job::Column::Modified, Expr::value(now));
    let stamp = match to {
        JobStatus::Pending => Some(job::Column::Resolved),
        JobStatus::Claimed => Some(job::Column::Claimed),
        JobStatus::Running => Some(job::Column::Started),
        JobStatus::Completed | JobStatus::Failed | JobStatus::Canceled => {
            Some(job::Column::Completed)
        }
        JobStatus::Requested | JobStatus::Processed => None,
    };
    if let Some(column) = stamp {
        update = update.col_expr(column, Expr::value(now));
    }
    if let Some(digest) = fields.digest {
        update = update.col_expr(job::Column::Digest, Expr::value(digest));
    }
    if let Some(spec_id) = fields.spec_id {
        update = update.col_expr(job::Column::SpecId, Expr::value(spec_id));
    }
    if let Some(priority) = fields.priority {
        update = update.col_expr(job::Column::Priority, Expr::value(priority));
    }
    match fields.runner_id {
        Some(runner_id) => update = update.col_expr(job::Column::RunnerId, Expr::value(runner_id)),
        None if to == JobStatus::Pending => {
            update = update.col_expr(job::Column::RunnerId, Expr::value(Option::<i64>::None));
        }
        None => {}
    }
    if fields.increment_attempts {
        update = update.col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        );
    }
    if let Some(exit_code) = fields.exit_code {
        update = update.col_expr(job::Column::ExitCode, Expr::value(exit_code));
    }
    match fields.reason {
        Some(reason) => {
            let (kind, json) = reason.to_json()?;
            update = update
                .col_expr(job::Column::ReasonKind, Expr::value(kind))
                .col_expr(job::Column::Reason, Expr::value(json));
        }
        None if to == JobStatus::Completed => {
            update = update
                .col_expr(job::Column::ReasonKind, Expr::value(Option::<String>::None))
                .col_expr(job::Column::Reason, Expr::value(Option::<Json>::None));
        }
        None => {}
    }
    if let Some(output) = fields.output {
        update = update.col_expr(job::Column::Output, Expr::value(output));
    }
    let result = update
        .filter(job::Column::Uuid.eq(job.as_uuid()))
        .filter(allowed)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
