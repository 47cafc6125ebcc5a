//! The metric history of many benchmarks at once: what the threshold tests of one report need,
//! in one query per measure (and per 500 benchmarks) instead of one per metric.

use std::collections::HashMap;

use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, WindowStatement};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::CHUNK;
use crate::entities::{metric, report, report_benchmark};
use crate::error::DbError;

/// Which history to read: one measure on one branch and testbed, for many benchmarks.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryBatch<'a> {
    /// Branch of the reports.
    pub branch_id: i64,
    /// Testbed of the reports.
    pub testbed_id: i64,
    /// Measure.
    pub measure_id: i64,
    /// The benchmarks whose history to read.
    pub benchmark_ids: &'a [i64],
    /// Leave this report out (the one being judged).
    pub exclude_report_id: Option<i64>,
    /// Only reports started at or after this time (the model's window).
    pub since: Option<DateTimeUtc>,
    /// Only reports started at or before this time (the judged report's start).
    pub until: Option<DateTimeUtc>,
    /// At most this many points per benchmark (the model's maximum sample size).
    pub limit: Option<u64>,
}

#[derive(FromQueryResult)]
struct Point {
    benchmark_id: i64,
    value: f64,
}

/// The values of each benchmark in `q.benchmark_ids`, newest report first (then newest metric,
/// so a later iteration of a report comes before an earlier one), at most `q.limit` each.
///
/// One statement per [`CHUNK`] benchmarks: `ROW_NUMBER() OVER (PARTITION BY benchmark_id ORDER
/// BY start_time DESC, metric.id DESC)` numbers each benchmark's points and the outer query keeps
/// the first `limit` (window functions: SQLite 3.25+, PostgreSQL). Benchmarks without history
/// are absent from the map.
pub async fn metric_history_batch<C: ConnectionTrait>(
    db: &C,
    q: &HistoryBatch<'_>,
) -> Result<HashMap<i64, Vec<f64>>, DbError> {
    let mut out: HashMap<i64, Vec<f64>> = HashMap::new();
    for chunk in q.benchmark_ids.chunks(CHUNK) {
        let select = chunk_query(q, chunk);
        let stmt = db.get_database_backend().build(&select);
        for point in Point::find_by_statement(stmt).all(db).await? {
            out.entry(point.benchmark_id).or_default().push(point.value);
        }
    }
    Ok(out)
}

fn chunk_query(q: &HistoryBatch<'_>, benchmark_ids: &[i64]) -> sea_orm::sea_query::SelectStatement {
    let (m, rb, r) = (metric::Entity, report_benchmark::Entity, report::Entity);
    let benchmark = (rb, report_benchmark::Column::BenchmarkId);
    let mut window = WindowStatement::partition_by(benchmark);
    window
        .order_by((r, report::Column::StartTime), Order::Desc)
        .order_by((m, metric::Column::Id), Order::Desc);
    let mut inner = Query::select();
    inner
        .expr_as(Expr::col(benchmark), Alias::new("benchmark_id"))
        .expr_as(Expr::col((m, metric::Column::Value)), Alias::new("value"))
        .expr_window_as(
            Func::cust(Alias::new("ROW_NUMBER")),
            window,
            Alias::new("rn"),
        )
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
        .and_where(Expr::col((m, metric::Column::MeasureId)).eq(q.measure_id))
        .and_where(Expr::col(benchmark).is_in(benchmark_ids.iter().copied()));
    if let Some(exclude) = q.exclude_report_id {
        inner.and_where(Expr::col((r, report::Column::Id)).ne(exclude));
    }
    if let Some(since) = q.since {
        inner.and_where(Expr::col((r, report::Column::StartTime)).gte(since));
    }
    if let Some(until) = q.until {
        inner.and_where(Expr::col((r, report::Column::StartTime)).lte(until));
    }
    let h = Alias::new("h");
    let mut outer = Query::select();
    outer
        .column((h.clone(), Alias::new("benchmark_id")))
        .column((h.clone(), Alias::new("value")))
        .from_subquery(inner, h.clone());
    if let Some(limit) = q.limit {
        outer.and_where(Expr::col((h.clone(), Alias::new("rn"))).lte(limit));
    }
    outer
        .order_by((h.clone(), Alias::new("benchmark_id")), Order::Asc)
        .order_by((h, Alias::new("rn")), Order::Asc);
    outer
}
