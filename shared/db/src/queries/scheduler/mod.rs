//! The scheduler's queries: queueing resolved jobs, concurrency slots, liveness, cancels and
//! the outbox of events it owes.
//!
//! The scheduler keeps its own state in `job_schedule` (one row per resolved job) and
//! `job_slot` (one counter per concurrency key); the public lifecycle stays in `job.status`,
//! moved only through [`job_transition`](crate::queries::job::job_transition).
//!
//! - [`enqueue`]: `requested → pending` and the schedule row, in one transaction.
//! - [`claim`]: take a slot and start an attempt (conditional updates, replica-safe).
//! - [`step`]: any other status change; frees the slot once the runner is done.
//! - [`record_runner`], [`record_heartbeat`]: liveness, never moved backwards.
//! - [`request_cancel`], [`active`], [`outbox_due`], [`waiting`]: what the sweep and the cancel
//!   relay read.

mod entity;
mod slots;

use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, ProjectUuid, ReportUuid, RunnerUuid};
use chrono::Utc;
use sea_orm::prelude::{DateTimeUtc, Expr, Json};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

pub use entity::{job_schedule, job_slot};
pub use slots::{Claim, SlotLimit, Step, Stepped, claim, frees_slot, slot_in_use, step};

use crate::connect::begin_write;
use crate::entities::{job, project, report, runner};
use crate::error::DbError;
use crate::queries::job::{JobFields, job_by_uuid, job_transition};
use crate::types::{JobStatus, parse_job_status};

/// A job with the public ids its run command names.
#[derive(Clone, Debug, PartialEq)]
pub struct JobContext {
    /// The job row.
    pub job: job::Model,
    /// Its report.
    pub report: ReportUuid,
    /// Its project.
    pub project: ProjectUuid,
    /// The scheduler's row, once the job was resolved.
    pub schedule: Option<job_schedule::Model>,
}

/// The job with this public id, its report and project ids, and its schedule row.
pub async fn job_context<C: ConnectionTrait>(
    db: &C,
    uuid: JobUuid,
) -> Result<Option<JobContext>, DbError> {
    let Some(job) = job_by_uuid(db, uuid).await? else {
        return Ok(None);
    };
    let report = report::Entity::find_by_id(job.report_id)
        .one(db)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "report",
            key: job.report_id.to_string(),
        })?;
    let project = project::Entity::find_by_id(job.project_id)
        .one(db)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "project",
            key: job.project_id.to_string(),
        })?;
    let schedule = slots::schedule_row_opt(db, job.id).await?;
    Ok(Some(JobContext {
        report: report.uuid.into(),
        project: project.uuid.into(),
        schedule,
        job,
    }))
}

/// The scheduler's row of the job with this public id (one query), if it was ever resolved.
pub async fn schedule_of<C: ConnectionTrait>(
    db: &C,
    uuid: JobUuid,
) -> Result<Option<job_schedule::Model>, DbError> {
    let job = Query::select()
        .column(job::Column::Id)
        .from(job::Entity)
        .and_where(job::Column::Uuid.eq(uuid.as_uuid()))
        .to_owned();
    Ok(job_schedule::Entity::find()
        .filter(job_schedule::Column::JobId.in_subquery(job))
        .one(db)
        .await?)
}

/// A resolved job to queue.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSchedule {
    /// The job.
    pub job: JobUuid,
    /// Its concurrency key; `None` for an unlimited tier.
    pub slot_key: Option<String>,
    /// Its tier.
    pub tier: Priority,
    /// The spec slug of its dispatch subject.
    pub spec_slug: String,
    /// Its run command (bencher-wire `RunJob`) as resolved.
    pub run: Json,
    /// Its timeout in seconds.
    pub timeout_secs: i32,
}

/// What [`enqueue`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum Enqueued {
    /// The job is pending with this schedule row (new, or from an earlier delivery).
    Queued(job_schedule::Model),
    /// The job is in another status (canceled or failed before resolution, or already past
    /// `pending`); its row, if any.
    NotPending(JobStatus, Option<job_schedule::Model>),
    /// No such job.
    Missing,
}

/// Moves the job `requested → pending` and creates its schedule row (if missing), in one write
/// transaction; a job already `pending` gets its row too. Idempotent.
pub async fn enqueue(db: &DatabaseConnection, new: NewSchedule) -> Result<Enqueued, DbError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    job_transition(
        &txn,
        new.job,
        &[JobStatus::Requested],
        JobStatus::Pending,
        JobFields::default(),
    )
    .await?;
    let Some(job) = job_by_uuid(&txn, new.job).await? else {
        txn.rollback().await?;
        return Ok(Enqueued::Missing);
    };
    let status = parse_job_status(&job.status)?;
    if status != JobStatus::Pending {
        let row = slots::schedule_row_opt(&txn, job.id).await?;
        txn.commit().await?;
        return Ok(Enqueued::NotPending(status, row));
    }
    job_schedule::Entity::insert(job_schedule::ActiveModel {
        job_id: Set(job.id),
        slot_key: Set(new.slot_key),
        tier: Set(new.tier.value()),
        spec_slug: Set(new.spec_slug),
        run: Set(new.run),
        timeout_secs: Set(new.timeout_secs),
        queued: Set(job.created),
        attempt: Set(0),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(&txn)
    .await?;
    let row = slots::schedule_row_opt(&txn, job.id)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "job schedule",
            key: new.job.to_string(),
        })?;
    txn.commit().await?;
    Ok(Enqueued::Queued(row))
}

/// Jobs waiting for a slot of `slot_key` (`None`: unlimited tiers), highest tier first, then
/// oldest first, at most `limit`.
pub async fn waiting<C: ConnectionTrait>(
    db: &C,
    slot_key: Option<&str>,
    limit: u64,
) -> Result<Vec<job_schedule::Model>, DbError> {
    let key = match slot_key {
        Some(key) => job_schedule::Column::SlotKey.eq(key),
        None => job_schedule::Column::SlotKey.is_null(),
    };
    Ok(job_schedule::Entity::find()
        .filter(key)
        .filter(job_schedule::Column::Dispatched.is_null())
        .filter(job_schedule::Column::Finished.is_null())
        .filter(job_schedule::Column::CancelRequested.is_null())
        .order_by_desc(job_schedule::Column::Tier)
        .order_by_asc(job_schedule::Column::Queued)
        .order_by_asc(job_schedule::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The concurrency keys (with their tier) that have jobs waiting; `None` for unlimited tiers.
pub async fn waiting_keys<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<(Option<String>, i32)>, DbError> {
    Ok(job_schedule::Entity::find()
        .select_only()
        .column(job_schedule::Column::SlotKey)
        .column(job_schedule::Column::Tier)
        .distinct()
        .filter(job_schedule::Column::Dispatched.is_null())
        .filter(job_schedule::Column::Finished.is_null())
        .filter(job_schedule::Column::CancelRequested.is_null())
        .into_tuple::<(Option<String>, i32)>()
        .all(db)
        .await?)
}

/// Records that the run command of `attempt` (stream sequence `seq`) and its `job.dispatched`
/// were acknowledged. Returns whether the row was still at that attempt and unpublished.
pub async fn mark_published<C: ConnectionTrait>(
    db: &C,
    job_id: i64,
    attempt: i32,
    seq: u64,
) -> Result<bool, DbError> {
    let now = Utc::now();
    let result = job_schedule::Entity::update_many()
        .col_expr(job_schedule::Column::Published, Expr::value(now))
        .col_expr(
            job_schedule::Column::DispatchSeq,
            Expr::value(i64::try_from(seq).unwrap_or(i64::MAX)),
        )
        .col_expr(job_schedule::Column::Modified, Expr::value(now))
        .filter(job_schedule::Column::JobId.eq(job_id))
        .filter(job_schedule::Column::Attempt.eq(attempt))
        .filter(job_schedule::Column::Published.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The `runner` row of this runner, created (named after its id) if missing.
pub async fn runner_id<C: ConnectionTrait>(db: &C, uuid: RunnerUuid) -> Result<i64, DbError> {
    let now = Utc::now();
    runner::Entity::insert(runner::ActiveModel {
        uuid: Set(uuid.as_uuid()),
        name: Set(format!("runner {uuid}")),
        slug: Set(uuid.to_string()),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    runner::Entity::find()
        .filter(runner::Column::Uuid.eq(uuid.as_uuid()))
        .one(db)
        .await?
        .map(|r| r.id)
        .ok_or_else(|| DbError::NotFound {
            what: "runner",
            key: uuid.to_string(),
        })
}

/// Records the runner holding attempt `attempt` and that it was alive at `at`. Ignored for any
/// other attempt. Returns whether the row changed.
pub async fn record_runner<C: ConnectionTrait>(
    db: &C,
    job_id: i64,
    attempt: i32,
    runner: RunnerUuid,
    at: DateTimeUtc,
) -> Result<bool, DbError> {
    let result = job_schedule::Entity::update_many()
        .col_expr(
            job_schedule::Column::RunnerUuid,
            Expr::value(runner.as_uuid()),
        )
        .col_expr(job_schedule::Column::LastHeartbeat, Expr::value(at))
        .col_expr(job_schedule::Column::Modified, Expr::value(Utc::now()))
        .filter(job_schedule::Column::JobId.eq(job_id))
        .filter(job_schedule::Column::Attempt.eq(attempt))
        .filter(newer_heartbeat(at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records that the runner of attempt `attempt` was alive at `at`, unless a later time is
/// already recorded. Returns whether the row changed.
pub async fn record_heartbeat<C: ConnectionTrait>(
    db: &C,
    job_id: i64,
    attempt: i32,
    at: DateTimeUtc,
) -> Result<bool, DbError> {
    let result = job_schedule::Entity::update_many()
        .col_expr(job_schedule::Column::LastHeartbeat, Expr::value(at))
        .filter(job_schedule::Column::JobId.eq(job_id))
        .filter(job_schedule::Column::Attempt.eq(attempt))
        .filter(newer_heartbeat(at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

fn newer_heartbeat(at: DateTimeUtc) -> Condition {
    Condition::any()
        .add(job_schedule::Column::LastHeartbeat.is_null())
        .add(job_schedule::Column::LastHeartbeat.lt(at))
}

/// Records a cancel request (the first reason wins) and, with `sent`, that the runner was told
/// (the first time wins). Returns whether this call recorded the request.
pub async fn request_cancel<C: ConnectionTrait>(
    db: &C,
    job_id: i64,
    reason: Json,
    sent: bool,
) -> Result<bool, DbError> {
    let now = Utc::now();
    let requested = job_schedule::Entity::update_many()
        .col_expr(job_schedule::Column::CancelRequested, Expr::value(now))
        .col_expr(job_schedule::Column::CancelReason, Expr::value(reason))
        .col_expr(job_schedule::Column::Modified, Expr::value(now))
        .filter(job_schedule::Column::JobId.eq(job_id))
        .filter(job_schedule::Column::CancelRequested.is_null())
        .exec(db)
        .await?;
    if sent {
        job_schedule::Entity::update_many()
            .col_expr(job_schedule::Column::CancelSent, Expr::value(now))
            .filter(job_schedule::Column::JobId.eq(job_id))
            .filter(job_schedule::Column::CancelSent.is_null())
            .exec(db)
            .await?;
    }
    Ok(requested.rows_affected == 1)
}

/// Jobs holding a slot or dispatched and not finished, with their job rows: what the sweep
/// watches (liveness, timeouts, unpublished run commands, unclaimed dispatches).
pub async fn active<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<(job_schedule::Model, job::Model)>, DbError> {
    let rows = job_schedule::Entity::find()
        .filter(job_schedule::Column::Finished.is_null())
        .filter(job_schedule::Column::Dispatched.is_not_null())
        .all(db)
        .await?;
    with_jobs(db, rows).await
}

/// Rows whose outbox event has waited since before `before`.
pub async fn outbox_due<C: ConnectionTrait>(
    db: &C,
    before: DateTimeUtc,
) -> Result<Vec<job_schedule::Model>, DbError> {
    Ok(job_schedule::Entity::find()
        .filter(job_schedule::Column::Outbox.is_not_null())
        .filter(job_schedule::Column::Modified.lt(before))
        .all(db)
        .await?)
}

/// Empties the outbox of `job_id` once its event is acknowledged.
pub async fn clear_outbox<C: ConnectionTrait>(db: &C, job_id: i64) -> Result<bool, DbError> {
    let result = job_schedule::Entity::update_many()
        .col_expr(
            job_schedule::Column::Outbox,
            Expr::value(Option::<Json>::None),
        )
        .filter(job_schedule::Column::JobId.eq(job_id))
        .filter(job_schedule::Column::Outbox.is_not_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The job rows of `rows`, paired; rows whose job vanished are left out.
async fn with_jobs<C: ConnectionTrait>(
    db: &C,
    rows: Vec<job_schedule::Model>,
) -> Result<Vec<(job_schedule::Model, job::Model)>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.job_id).collect();
    let mut jobs = job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .all(db)
        .await?;
    jobs.sort_by_key(|j| j.id);
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let i = jobs.binary_search_by_key(&row.job_id, |j| j.id).ok()?;
            Some((row, jobs[i].clone()))
        })
        .collect())
}
