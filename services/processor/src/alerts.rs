//! Stored alerts as the wire's `JsonAlert` (for `alert.raised`).

use bencher_db::queries::processor::alerts::ReportAlert;
use bencher_wire::ids::ReportUuid;
use bencher_wire::json::{
    AlertStatus, BoundaryLimit, JsonAlert, JsonBenchmark, JsonBoundary, JsonMeasure,
    JsonReportMetric,
};
use bencher_wire::values::ResourceName;

use crate::error::ProcessorError;

/// The alert of `row`, raised on a metric of `report`.
pub(crate) fn json_alert(
    report: ReportUuid,
    row: ReportAlert,
) -> Result<JsonAlert, ProcessorError> {
    let stored = |what: &'static str, value: &str| ProcessorError::Stored {
        what,
        value: value.to_owned(),
    };
    let limit = match row.boundary_limit.as_str() {
        "lower" => BoundaryLimit::Lower,
        "upper" => BoundaryLimit::Upper,
        other => return Err(stored("boundary limit", other)),
    };
    let status = match row.status.as_str() {
        "active" => AlertStatus::Active,
        "dismissed" => AlertStatus::Dismissed,
        "silenced" => AlertStatus::Silenced,
        other => return Err(stored("alert status", other)),
    };
    let measure_slug = row
        .measure_slug
        .parse()
        .map_err(|_| stored("measure slug", &row.measure_slug))?;
    // A custom measure is named by its BMF key, which may be longer than a resource name.
    let measure_name = ResourceName::parse(&row.measure_name)
        .or_else(|_| ResourceName::parse(&row.measure_slug))
        .map_err(|_| stored("measure name", &row.measure_name))?;
    Ok(JsonAlert {
        uuid: row.alert_uuid.into(),
        report,
        limit,
        status,
        benchmark: JsonBenchmark {
            uuid: row.benchmark_uuid.into(),
            slug: row
                .benchmark_slug
                .parse()
                .map_err(|_| stored("benchmark slug", &row.benchmark_slug))?,
            name: row.benchmark_name,
        },
        measure: JsonMeasure {
            uuid: row.measure_uuid.into(),
            name: measure_name,
            slug: measure_slug,
            units: row.measure_units,
        },
        metric: JsonReportMetric {
            uuid: Some(row.metric_uuid.into()),
            value: row.value,
            lower_value: row.lower_value,
            upper_value: row.upper_value,
        },
        boundary: JsonBoundary {
            baseline: row.baseline,
            lower_limit: row.lower_limit,
            upper_limit: row.upper_limit,
        },
        created: row.created,
        modified: row.modified,
    })
}
