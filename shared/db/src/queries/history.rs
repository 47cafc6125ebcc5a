//! The metric history a threshold test compares a new metric against.

use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::entities::{metric, report, report_benchmark};
use crate::error::DbError;

/// Which history to read.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryQuery {
    /// Branch of the reports.
    pub branch_id: i64,
    /// Testbed of the reports.
    pub testbed_id: i64,
    /// Benchmark.
    pub benchmark_id: i64,
    /// Measure.
    pub measure_id: i64,
    /// Leave this report out (the one being judged).
    pub exclude_report_id: Option<i64>,
    /// Only reports started at or after this time (the model's window).
    pub since: Option<DateTimeUtc>,
    /// Only reports started at or before this time (when re-judging an older report).
    pub until: Option<DateTimeUtc>,
    /// At most this many points (the model's maximum sample size).
    pub limit: u64,
}

/// One point of history.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct HistoryPoint {
    /// The metric row.
    pub metric_id: i64,
    /// Its report.
    pub report_id: i64,
    /// The report's public id.
    pub report_uuid: Uuid,
    /// The report's start time.
    pub start_time: DateTimeUtc,
    /// The value.
    pub value: f64,
    /// Lower bound, if reported.
    pub lower_value: Option<f64>,
    /// Upper bound, if reported.
    pub upper_value: Option<f64>,
}

/// Metrics of the same branch, testbed, benchmark and measure, newest report first, in one
/// query (served by the `report (branch_id, testbed_id, start_time)` index). Every iteration of a
/// report is a point of its own.
pub async fn metric_history<C: ConnectionTrait>(
    db: &C,
    q: &HistoryQuery,
) -> Result<Vec<HistoryPoint>, DbError> {
    let m = metric::Entity;
    let rb = report_benchmark::Entity;
    let r = report::Entity;
    let mut select = Query::select();
    select
        .expr_as(Expr::col((m, metric::Column::Id)), "metric_id")
        .expr_as(Expr::col((r, report::Column::Id)), "report_id")
        .expr_as(Expr::col((r, report::Column::Uuid)), "report_uuid")
        .expr_as(Expr::col((r, report::Column::StartTime)), "start_time")
        .expr_as(Expr::col((m, metric::Column::Value)), "value")
        .expr_as(Expr::col((m, metric::Column::LowerValue)), "lower_value")
        .expr_as(Expr::col((m, metric::Column::UpperValue)), "upper_value")
        .from(m)
        .inner_join(
            rb,
            Expr::col((rb, report_benchmark::Column::Id))
                .equals((m, metric::Column::ReportBenchmarkId)),
        )
        .inner_join(
            r,
            Expr::col((r, report::Column::Id)).equals((rb, report_benchmark::Column::ReportId)),
        )
        .and_where(Expr::col((r, report::Column::BranchId)).eq(q.branch_id))
        .and_where(Expr::col((r, report::Column::TestbedId)).eq(q.testbed_id))
        .and_where(Expr::col((rb, report_benchmark::Column::BenchmarkId)).eq(q.benchmark_id))
        .and_where(Expr::col((m, metric::Column::MeasureId)).eq(q.measure_id));
    if let Some(exclude) = q.exclude_report_id {
        select.and_where(Expr::col((r, report::Column::Id)).ne(exclude));
    }
    if let Some(since) = q.since {
        select.and_where(Expr::col((r, report::Column::StartTime)).gte(since));
    }
    if let Some(until) = q.until {
        select.and_where(Expr::col((r, report::Column::StartTime)).lte(until));
    }
    select
        .order_by((r, report::Column::StartTime), Order::Desc)
        .order_by((m, metric::Column::Id), Order::Desc)
        .limit(q.limit);
    let stmt = db.get_database_backend().build(&select);
    Ok(HistoryPoint::find_by_statement(stmt).all(db).await?)
}
