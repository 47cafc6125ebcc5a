//! Alerts of the `/v0` API: a project's alerts (newest first, paginated, filtered by status),
//! one alert, and a user changing its status (dismissing it or making it active again). Each
//! read is one joined query: alert → boundary → metric → report benchmark → report, benchmark
//! and measure.

use chrono::Utc;
use sea_orm::prelude::DateTimeUtc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::entities::{alert, benchmark, boundary, measure, metric, report, report_benchmark};
use crate::error::DbError;
use crate::types::AlertStatus;

/// An alert with what it is about, flat.
#[derive(Clone, Debug, PartialEq, FromQueryResult)]
pub struct AlertRow {
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
    /// The report's public id.
    pub report_uuid: Uuid,
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

/// One page of a project's alerts.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertPage {
    /// The alerts of the page, newest first.
    pub alerts: Vec<AlertRow>,
    /// How many alerts match in all.
    pub total: u64,
}

/// The joined select of [`AlertRow`]s of a project, without order or limits.
fn select_alerts(project_id: i64) -> SelectStatement {
    let (a, b, m, rb, r) = (
        alert::Entity,
        boundary::Entity,
        metric::Entity,
        report_benchmark::Entity,
        report::Entity,
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
        (Expr::col((r, report::Column::Uuid)), "report_uuid"),
        (Expr::col((b, boundary::Column::Baseline)), "baseline"),
        (Expr::col((b, boundary::Column::LowerLimit)), "lower_limit"),
        (Expr::col((b, boundary::Column::UpperLimit)), "upper_limit"),
        (Expr::col((m, metric::Column::Uuid)), "metric_uuid"),
        (Expr::col((m, metric::Column::Value)), "value"),
        (Expr::col((m, metric::Column::LowerValue)), "lower_value"),
        (Expr::col((m, metric::Column::UpperValue)), "upper_value"),
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
            r,
            Expr::col((r, report::Column::Id)).equals((rb, report_benchmark::Column::ReportId)),
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
        .and_where(Expr::col((a, alert::Column::ProjectId)).eq(project_id));
    select.to_owned()
}

/// The project's alerts with `status` (any when `None`), newest first; `page` counts from 1.
pub async fn list_alerts<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    status: Option<AlertStatus>,
    page: u64,
    per_page: u64,
) -> Result<AlertPage, DbError> {
    let mut count = alert::Entity::find().filter(alert::Column::ProjectId.eq(project_id));
    let mut select = select_alerts(project_id);
    if let Some(status) = status {
        count = count.filter(alert::Column::Status.eq(status.as_str()));
        select.and_where(Expr::col((alert::Entity, alert::Column::Status)).eq(status.as_str()));
    }
    let total = count.count(db).await?;
    let per_page = Ord::max(per_page, 1);
    select
        .order_by((alert::Entity, alert::Column::Created), Order::Desc)
        .order_by((alert::Entity, alert::Column::Id), Order::Desc)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page);
    let stmt = db.get_database_backend().build(&select);
    Ok(AlertPage {
        alerts: AlertRow::find_by_statement(stmt).all(db).await?,
        total,
    })
}

/// The project's alert with this public id, if any.
pub async fn alert_in_project<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    uuid: Uuid,
) -> Result<Option<AlertRow>, DbError> {
    let mut select = select_alerts(project_id);
    select.and_where(Expr::col((alert::Entity, alert::Column::Uuid)).eq(uuid));
    let stmt = db.get_database_backend().build(&select);
    Ok(AlertRow::find_by_statement(stmt).one(db).await?)
}

/// Set the status of the project's alert `uuid` (its `modified` changes only when the status
/// does); the alert afterwards, `None` when the project has no such alert.
pub async fn set_alert_status<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    uuid: Uuid,
    status: AlertStatus,
) -> Result<Option<AlertRow>, DbError> {
    alert::Entity::update_many()
        .col_expr(alert::Column::Status, Expr::value(status.as_str()))
        .col_expr(alert::Column::Modified, Expr::value(Utc::now()))
        .filter(alert::Column::ProjectId.eq(project_id))
        .filter(alert::Column::Uuid.eq(uuid))
        .filter(alert::Column::Status.ne(status.as_str()))
        .exec(db)
        .await?;
    alert_in_project(db, project_id, uuid).await
}
