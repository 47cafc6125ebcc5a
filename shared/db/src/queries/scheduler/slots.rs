//! Concurrency slots and job steps that free them, each one write transaction.
//!
//! Lock order is always the `job_schedule` row first, then the `job_slot` row, so a claim and a
//! release never wait on each other in a cycle (PostgreSQL would abort one as a deadlock).

use bencher_wire::ids::JobUuid;
use chrono::Utc;
use sea_orm::prelude::{Expr, Json};
use sea_orm::sea_query::{ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::entity::{job_schedule, job_slot};
use crate::connect::begin_write;
use crate::entities::job;
use crate::error::DbError;
use crate::queries::job::{JobFields, job_by_uuid, job_transition};
use crate::types::{JobStatus, parse_job_status};

/// A concurrency key and how many jobs may hold it at once (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotLimit<'a> {
    /// The key (`job_schedule.slot_key`).
    pub key: &'a str,
    /// Jobs allowed at once.
    pub limit: u32,
}

/// What [`claim`] did.
#[derive(Clone, Debug, PartialEq)]
pub enum Claim {
    /// The job holds a slot now: its row with the new attempt and dispatch time.
    Claimed(Box<job_schedule::Model>),
    /// Every slot of the key is taken; the job stays pending.
    NoRoom,
    /// The job is no longer waiting (dispatched by someone else, canceled, finished, or not
    /// pending).
    NotEligible,
}

/// Whether a status frees the job's slot: the runner is done with it.
pub fn frees_slot(status: JobStatus) -> bool {
    matches!(
        status,
        JobStatus::Completed | JobStatus::Processed | JobStatus::Failed | JobStatus::Canceled
    )
}

/// Takes a slot for the waiting job `job_id` and starts its next attempt, atomically:
/// `UPDATE job_schedule SET dispatched = now, attempt = attempt + 1 WHERE job_id = ? AND
/// dispatched IS NULL AND finished IS NULL AND cancel_requested IS NULL AND the job is pending`,
/// then (with a limit) `UPDATE job_slot SET in_use = in_use + 1 WHERE slot_key = ? AND in_use <
/// limit`. If either changes no row, nothing is kept.
///
/// Safe with any number of scheduler replicas: the conditional increment of one `job_slot` row
/// serializes claimers of a key (SQLite: one writer at a time; PostgreSQL: the second `UPDATE`
/// waits for the first's row lock, then re-checks `in_use < limit` on the committed value).
pub async fn claim(
    db: &DatabaseConnection,
    job_id: i64,
    slot: Option<SlotLimit<'_>>,
) -> Result<Claim, DbError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let pending = Query::select()
        .column(job::Column::Id)
        .from(job::Entity)
        .and_where(job::Column::Status.eq(JobStatus::Pending.as_str()))
        .to_owned();
    let taken = job_schedule::Entity::update_many()
        .col_expr(job_schedule::Column::Dispatched, Expr::value(now))
        .col_expr(
            job_schedule::Column::Attempt,
            Expr::col(job_schedule::Column::Attempt).add(1),
        )
        .col_expr(
            job_schedule::Column::Published,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(
            job_schedule::Column::DispatchSeq,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(job_schedule::Column::Modified, Expr::value(now))
        .filter(job_schedule::Column::JobId.eq(job_id))
        .filter(job_schedule::Column::Dispatched.is_null())
        .filter(job_schedule::Column::Finished.is_null())
        .filter(job_schedule::Column::CancelRequested.is_null())
        .filter(job_schedule::Column::JobId.in_subquery(pending))
        .exec(&txn)
        .await?;
    if taken.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(Claim::NotEligible);
    }
    if let Some(slot) = slot {
        job_slot::Entity::insert(job_slot::ActiveModel {
            slot_key: Set(slot.key.to_owned()),
            in_use: Set(0),
            modified: Set(now),
            ..Default::default()
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .try_insert()
        .exec_without_returning(&txn)
        .await?;
        let room = job_slot::Entity::update_many()
            .col_expr(
                job_slot::Column::InUse,
                Expr::col(job_slot::Column::InUse).add(1),
            )
            .col_expr(job_slot::Column::Modified, Expr::value(now))
            .filter(job_slot::Column::SlotKey.eq(slot.key))
            .filter(job_slot::Column::InUse.lt(i64::from(Ord::max(slot.limit, 1))))
            .exec(&txn)
            .await?;
        if room.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(Claim::NoRoom);
        }
    }
    let row = schedule_row(&txn, job_id).await?;
    txn.commit().await?;
    Ok(Claim::Claimed(Box::new(row)))
}

/// Jobs of `slot_key` holding a slot now (dispatched, not finished).
pub async fn slot_in_use<C: ConnectionTrait>(db: &C, slot_key: &str) -> Result<i32, DbError> {
    Ok(job_slot::Entity::find()
        .filter(job_slot::Column::SlotKey.eq(slot_key))
        .one(db)
        .await?
        .map_or(0, |slot| slot.in_use))
}

/// One status change of a job, as [`step`] applies it.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    /// The job.
    pub job: JobUuid,
    /// Statuses it may move from (see [`job_transition`]).
    pub from: &'a [JobStatus],
    /// The status it moves to.
    pub to: JobStatus,
    /// Columns set with the status.
    pub fields: JobFields,
    /// The event announcing the change, kept in the outbox until published.
    pub outbox: Option<Json>,
}

/// What [`step`] found and did.
#[derive(Clone, Debug, PartialEq)]
pub struct Stepped {
    /// Whether the status changed (false: a duplicate, stale or refused event).
    pub applied: bool,
    /// The job's status afterwards; `None` if there is no such job.
    pub status: Option<JobStatus>,
    /// The scheduler's row afterwards, if the job was ever resolved.
    pub schedule: Option<job_schedule::Model>,
    /// Whether this call released the job's slot (it held one and now does not).
    pub released: bool,
}

/// Applies `step` with [`job_transition`], stores its event in the outbox if it applied, and
/// marks the job finished (returning its slot) once its status frees the slot, whether this
/// step or an earlier one got it there. One write transaction.
pub async fn step(db: &DatabaseConnection, step: Step<'_>) -> Result<Stepped, DbError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let applied = job_transition(&txn, step.job, step.from, step.to, step.fields).await?;
    let Some(job) = job_by_uuid(&txn, step.job).await? else {
        txn.rollback().await?;
        return Ok(Stepped {
            applied: false,
            status: None,
            schedule: None,
            released: false,
        });
    };
    let status = parse_job_status(&job.status)?;
    let mut released = false;
    let schedule = match schedule_row_opt(&txn, job.id).await? {
        None => None,
        Some(row) => {
            if applied && let Some(outbox) = step.outbox {
                job_schedule::Entity::update_many()
                    .col_expr(job_schedule::Column::Outbox, Expr::value(outbox))
                    .col_expr(job_schedule::Column::Modified, Expr::value(now))
                    .filter(job_schedule::Column::JobId.eq(job.id))
                    .exec(&txn)
                    .await?;
            }
            if frees_slot(status) && row.finished.is_none() {
                released = finish_in(&txn, &row).await?;
            }
            Some(schedule_row(&txn, job.id).await?)
        }
    };
    txn.commit().await?;
    Ok(Stepped {
        applied,
        status: Some(status),
        schedule,
        released,
    })
}

/// Marks `row` finished and returns its slot if it held one. Returns whether a slot was
/// released.
async fn finish_in<C: ConnectionTrait>(
    txn: &C,
    row: &job_schedule::Model,
) -> Result<bool, DbError> {
    let now = Utc::now();
    let done = job_schedule::Entity::update_many()
        .col_expr(job_schedule::Column::Finished, Expr::value(now))
        .col_expr(job_schedule::Column::Modified, Expr::value(now))
        .filter(job_schedule::Column::JobId.eq(row.job_id))
        .filter(job_schedule::Column::Finished.is_null())
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Ok(false);
    }
    // Re-read under the row lock just taken: a claim may have committed since `row` was read.
    let row = schedule_row(txn, row.job_id).await?;
    let (Some(key), Some(_)) = (row.slot_key.as_deref(), row.dispatched) else {
        return Ok(false);
    };
    let freed = job_slot::Entity::update_many()
        .col_expr(
            job_slot::Column::InUse,
            Expr::col(job_slot::Column::InUse).sub(1),
        )
        .col_expr(job_slot::Column::Modified, Expr::value(now))
        .filter(job_slot::Column::SlotKey.eq(key))
        .filter(job_slot::Column::InUse.gt(0))
        .exec(txn)
        .await?;
    Ok(freed.rows_affected == 1)
}

pub(super) async fn schedule_row_opt<C: ConnectionTrait>(
    db: &C,
    job_id: i64,
) -> Result<Option<job_schedule::Model>, DbError> {
    Ok(job_schedule::Entity::find()
        .filter(job_schedule::Column::JobId.eq(job_id))
        .one(db)
        .await?)
}

async fn schedule_row<C: ConnectionTrait>(
    db: &C,
    job_id: i64,
) -> Result<job_schedule::Model, DbError> {
    schedule_row_opt(db, job_id)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "job schedule",
            key: job_id.to_string(),
        })
}
