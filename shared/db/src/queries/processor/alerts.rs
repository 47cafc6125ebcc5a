//! Boundaries and alerts of a report's metrics. Both are unique per metric (boundary) and per
//! boundary (alert), so storing them again stores nothing (the first values win).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
};
use uuid::Uuid;

use super::CHUNK;
use crate::entities::{alert, benchmark, boundary, measure, metric, report_benchmark};
use crate::error::DbError;
use crate::types::{AlertStatus, BoundaryLimit};

/// The boundary of one metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewBoundary {
    /// The metric judged.
    pub metric_id: i64,
    /// Its threshold.
    pub threshold_id: i64,
    /// The model version used.
    pub model_id: i64,
    /// Baseline.
    pub baseline: Option<f64>,
    /// Lower limit.
    pub lower_limit: Option<f64>,
    /// Upper limit.
    pub upper_limit: Option<f64>,
}

/// An alert on one boundary.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewAlert {
    /// The boundary crossed.
    pub boundary_id: i64,
    /// Which side.
    pub limit: BoundaryLimit,
}

/// Store boundaries (idempotent) and return the stored rows by metric id.
pub async fn insert_boundaries<C: ConnectionTrait>(
    db: &C,
    boundaries: &[NewBoundary],
) -> Result<HashMap<i64, boundary::Model>, DbError> {
    for chunk in boundaries.chunks(CHUNK) {
        let rows = chunk.iter().map(|b| boundary::ActiveModel {
            uuid: Set(Uuid::now_v7()),
            metric_id: Set(b.metric_id),
            threshold_id: Set(b.threshold_id),
            model_id: Set(b.model_id),
            baseline: Set(b.baseline),
            lower_limit: Set(b.lower_limit),
            upper_limit: Set(b.upper_limit),
            ..Default::default()
        });
        boundary::Entity::insert_many(rows)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?;
    }
    let metric_ids: Vec<i64> = boundaries.iter().map(|b| b.metric_id).collect();
    let mut stored = HashMap::with_capacity(metric_ids.len());
    for chunk in metric_ids.chunks(CHUNK) {
        let found = boundary::Entity::find()
            .filter(boundary::Column::MetricId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        stored.extend(found.into_iter().map(|b| (b.metric_id, b)));
    }
    Ok(stored)
}

/// Store active alerts of a project (idempotent).
pub async fn insert_alerts<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    alerts: &[NewAlert],
) -> Result<(), DbError> {
    let now = Utc::now();
    for chunk in alerts.chunks(CHUNK) {
        let rows = chunk.iter().map(|a| alert::ActiveModel {
            uuid: Set(Uuid::now_v7()),
            project_id: Set(project_id),
            boundary_id: Set(a.boundary_id),
            boundary_limit: Set(a.limit.as_str().to_owned()),
            status: Set(AlertStatus::Active.as_str().to_owned()),
            created: Set(now),
            modified: Set(now),
            ..Default::default()
        });
        alert::Entity::insert_many(rows)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .try_insert()
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// An alert of a report with what it is about, flat (one query for all of a report's alerts).
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct ReportAlert {
    /// The alert's public id.
    pub alert_uuid: Uuid,
    /// `lower` or `upper`.
    pub boundary_limit: String,
    /// `active`, `dismissed` or `silenced`.
    pub status: String,
    /// When it was raised.
    pub created: DateTimeUtc,
    /// When its status last changed.
    pub modified: DateTimeUtc,
    /// Boundary baseline.
    pub baseline: Option<f64>,
    /// Boundary lower limit.
    pub lower_limit: Option<f64>,
    /// Boundary upper limit.
    pub upper_limit: Option<f64>,
    /// The metric's public id.
    pub metric_uuid: Uuid,
    /// The value.
    pub value: f64,
    /// Its lower bound.
    pub lower_value: Option<f64>,
    /// Its upper bound.
    pub upper_value: Option<f64>,
    /// The iteration of the report.
    pub iteration: i32,
    /// The benchmark's public id.
    pub benchmark_uuid: Uuid,
    /// The benchmark's name.
    pub benchmark_name: String,
    /// The benchmark's slug.
    pub benchmark_slug: String,
    /// The measure's public id.
    pub measure_uuid: Uuid,
    /// The measure's name.
    pub measure_name: String,
    /// The measure's slug.
    pub measure_slug: String,
    /// The measure's units.
    pub measure_units: String,
}

/// Every alert raised on a report's metrics, by iteration then alert id. One query.
pub async fn report_alerts<C: ConnectionTrait>(
    db: &C,
    report_id: i64,
) -> Result<Vec<ReportAlert>, DbError> {
    let (a, b, m, rb) = (
        alert::Entity,
        boundary::Entity,
        metric::Entity,
        report_benchmark::Entity,
    );
    let (bm, ms) = (benchmark::Entity, measure::Entity);
    let mut select = Query::select();
    for (expr, alias) in [
        (Expr::col((a, alert::Column::Uuid)), "alert_uuid"),
        (
            Expr::col((a, alert::Column::BoundaryLimit)),
            "boundary_limit",
        ),
        (Expr::col((a, alert::Column::Status)), "status"),
        (Expr::col((a, alert::Column::Created)), "created"),
        (Expr::col((a, alert::Column::Modified)), "modified"),
        (Expr::col((b, boundary::Column::Baseline)), "baseline"),
        (Expr::col((b, boundary::Column::LowerLimit)), "lower_limit"),
        (Expr::col((b, boundary::Column::UpperLimit)), "upper_limit"),
        (Expr::col((m, metric::Column::Uuid)), "metric_uuid"),
        (Expr::col((m, metric::Column::Value)), "value"),
        (Expr::col((m, metric::Column::LowerValue)), "lower_value"),
        (Expr::col((m, metric::Column::UpperValue)), "upper_value"),
        (
            Expr::col((rb, report_benchmark::Column::Iteration)),
            "iteration",
        ),
        (Expr::col((bm, benchmark::Column::Uuid)), "benchmark_uuid"),
        (Expr::col((bm, benchmark::Column::Name)), "benchmark_name"),
        (Expr::col((bm, benchmark::Column::Slug)), "benchmark_slug"),
        (Expr::col((ms, measure::Column::Uuid)), "measure_uuid"),
        (Expr::col((ms, measure::Column::Name)), "measure_name"),
        (Expr::col((ms, measure::Column::Slug)), "measure_slug"),
        (Expr::col((ms, measure::Column::Units)), "measure_units"),
    ] {
        select.expr_as(expr, Alias::new(alias));
    }
    select
        .from(a)
        .inner_join(
            b,
            Expr::col((b, boundary::Column::Id)).equals((a, alert::Column::BoundaryId)),
        )
        .inner_join(
            m,
            Expr::col((m, metric::Column::Id)).equals((b, boundary::Column::MetricId)),
        )
        .inner_join(
            rb,
            Expr::col((rb, report_benchmark::Column::Id))
                .equals((m, metric::Column::ReportBenchmarkId)),
        )
        .inner_join(
            bm,
            Expr::col((bm, benchmark::Column::Id))
                .equals((rb, report_benchmark::Column::BenchmarkId)),
        )
        .inner_join(
            ms,
            Expr::col((ms, measure::Column::Id)).equals((m, metric::Column::MeasureId)),
        )
        .and_where(Expr::col((rb, report_benchmark::Column::ReportId)).eq(report_id))
        .order_by((rb, report_benchmark::Column::Iteration), Order::Asc)
        .order_by((a, alert::Column::Id), Order::Asc);
    let stmt = db.get_database_backend().build(&select);
    Ok(ReportAlert::find_by_statement(stmt).all(db).await?)
}
