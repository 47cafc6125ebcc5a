//! A report's processing marker. `processed` (added by `m20260204_000001_add_report_processed`)
//! is set by the first transaction that stores the report's results; a redelivered message finds
//! it set and stores nothing twice.

use chrono::Utc;
use sea_orm::prelude::{DateTimeUtc, Expr, Json};
use sea_orm::sea_query::{Alias, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter};
use uuid::Uuid;

use crate::entities::{metric, project, report, report_benchmark};
use crate::error::DbError;

const PROCESSED: &str = "processed";
const FAILURE: &str = "failure";

/// Whether, and how, a report was processed.
#[derive(Clone, Debug, Default, PartialEq, FromQueryResult)]
pub struct ReportState {
    /// When its results were stored; `None` while it waits for the processor.
    pub processed: Option<DateTimeUtc>,
    /// Why its output gave no metrics (a `FailureReason` as JSON), if it did not.
    pub failure: Option<Json>,
}

/// What processing a report decided, written with [`finish_report`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportOutcome {
    /// The run's end time (image runs: when the runner completed); `None` keeps the stored one.
    pub end_time: Option<DateTimeUtc>,
    /// The raw output to keep (image runs: the iterations' exit codes and output references);
    /// `None` keeps the stored one.
    pub results_ref: Option<Json>,
    /// Why the output gave no metrics.
    pub failure: Option<Json>,
}

/// The report with this public id.
pub async fn report_by_uuid<C: ConnectionTrait>(
    db: &C,
    uuid: Uuid,
) -> Result<Option<report::Model>, DbError> {
    Ok(report::Entity::find()
        .filter(report::Column::Uuid.eq(uuid))
        .one(db)
        .await?)
}

/// The report with this key.
pub async fn report_by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<report::Model>, DbError> {
    Ok(report::Entity::find_by_id(id).one(db).await?)
}

/// The project with this key.
pub async fn project_by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<project::Model>, DbError> {
    Ok(project::Entity::find_by_id(id).one(db).await?)
}

/// The processing state of a report (default when it does not exist).
pub async fn report_state<C: ConnectionTrait>(
    db: &C,
    report_id: i64,
) -> Result<ReportState, DbError> {
    let mut select = Query::select();
    select
        .expr_as(Expr::col(Alias::new(PROCESSED)), Alias::new(PROCESSED))
        .expr_as(Expr::col(Alias::new(FAILURE)), Alias::new(FAILURE))
        .from(report::Entity)
        .and_where(Expr::col(report::Column::Id).eq(report_id));
    let stmt = db.get_database_backend().build(&select);
    Ok(ReportState::find_by_statement(stmt)
        .one(db)
        .await?
        .unwrap_or_default())
}

/// Stamp the report processed, if no one has: `UPDATE ... WHERE processed IS NULL`. Run it first
/// in the transaction that stores the results: on PostgreSQL it locks the row, so a replica
/// processing the same report waits, then finds the stamp and gets `false`.
pub async fn claim_report<C: ConnectionTrait>(db: &C, report_id: i64) -> Result<bool, DbError> {
    let result = report::Entity::update_many()
        .col_expr(Alias::new(PROCESSED), Expr::value(Utc::now()))
        .filter(report::Column::Id.eq(report_id))
        .filter(Expr::col((report::Entity, Alias::new(PROCESSED))).is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Write the outcome of processing (end time, raw results, failure) on a claimed report.
pub async fn finish_report<C: ConnectionTrait>(
    db: &C,
    report_id: i64,
    outcome: ReportOutcome,
) -> Result<(), DbError> {
    let mut update = report::Entity::update_many()
        .col_expr(report::Column::Modified, Expr::value(Utc::now()))
        .col_expr(Alias::new(FAILURE), Expr::value(outcome.failure));
    if let Some(end_time) = outcome.end_time {
        update = update.col_expr(report::Column::EndTime, Expr::value(end_time));
    }
    if let Some(results_ref) = outcome.results_ref {
        update = update.col_expr(report::Column::ResultsRef, Expr::value(results_ref));
    }
    update
        .filter(report::Column::Id.eq(report_id))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(FromQueryResult)]
struct Count {
    count: i64,
}

/// How many metrics the report holds (every iteration counted).
pub async fn count_report_metrics<C: ConnectionTrait>(
    db: &C,
    report_id: i64,
) -> Result<u64, DbError> {
    let (m, rb) = (metric::Entity, report_benchmark::Entity);
    let mut select = Query::select();
    select
        .expr_as(
            Expr::col((m, metric::Column::Id)).count(),
            Alias::new("count"),
        )
        .from(m)
        .inner_join(
            rb,
            Expr::col((rb, report_benchmark::Column::Id))
                .equals((m, metric::Column::ReportBenchmarkId)),
        )
        .and_where(Expr::col((rb, report_benchmark::Column::ReportId)).eq(report_id));
    let stmt = db.get_database_backend().build(&select);
    let count = Count::find_by_statement(stmt)
        .one(db)
        .await?
        .map_or(0, |c| c.count);
    Ok(u64::try_from(count).unwrap_or(0))
}
