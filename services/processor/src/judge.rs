//! Thresholds: boundaries for every new metric whose (branch, testbed, measure) has a threshold
//! with a current model, and alerts where a value falls outside (never for `_bencher_ignore`
//! benchmarks).
//!
//! Queries are batched: the thresholds of all the report's measures in two queries, then the
//! history of all its benchmarks for one measure in one query per 500 benchmarks, then the
//! boundaries and alerts in multi-row inserts. Iteration k+1 of the report is judged against
//! iterations 0..=k of the same report (newest first) followed by the stored history.

use std::collections::{BTreeSet, HashMap};

use bencher_db::BoundaryLimit;
use bencher_db::entities::{model, report};
use bencher_db::queries::metrics::StoredMetric;
use bencher_db::queries::processor::alerts::{
    NewAlert, NewBoundary, insert_alerts, insert_boundaries,
};
use bencher_db::queries::processor::history::{HistoryBatch, metric_history_batch};
use bencher_db::queries::processor::thresholds::current_thresholds;
use bencher_stats::{Boundary, Limit, Model, ThresholdTest};
use sea_orm::ConnectionTrait;
use tracing::warn;

use crate::error::ProcessorError;

/// Store the boundaries and alerts of `stored` (the report's new metrics). Returns how many
/// boundaries were computed.
pub(crate) async fn judge<C: ConnectionTrait>(
    db: &C,
    report: &report::Model,
    stored: &[StoredMetric],
) -> Result<usize, ProcessorError> {
    let measure_ids: Vec<i64> = stored
        .iter()
        .map(|s| s.measure.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let thresholds =
        current_thresholds(db, report.branch_id, report.testbed_id, &measure_ids).await?;
    let mut models = HashMap::new();
    let mut histories = HashMap::new();
    for (measure_id, current) in &thresholds {
        let Some(model) = stats_model(&current.model) else {
            continue;
        };
        let benchmark_ids: Vec<i64> = stored
            .iter()
            .filter(|s| s.measure.id == *measure_id)
            .map(|s| s.benchmark.id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let history = if model.test == ThresholdTest::Static {
            HashMap::new()
        } else {
            let since = model
                .window
                .map(|w| report.start_time - chrono::Duration::seconds(i64::from(w)));
            let batch = HistoryBatch {
                branch_id: report.branch_id,
                testbed_id: report.testbed_id,
                measure_id: *measure_id,
                benchmark_ids: &benchmark_ids,
                exclude_report_id: Some(report.id),
                since,
                until: Some(report.start_time),
                limit: model.max_sample_size.map(u64::from),
            };
            metric_history_batch(db, &batch).await?
        };
        models.insert(*measure_id, model);
        histories.insert(*measure_id, history);
    }
    if models.is_empty() {
        return Ok(0);
    }

    let mut order: Vec<&StoredMetric> = stored
        .iter()
        .filter(|s| models.contains_key(&s.measure.id))
        .collect();
    order.sort_by_key(|s| s.iteration);
    // Earlier iterations of this report, oldest first, per (benchmark, measure).
    let mut own: HashMap<(i64, i64), Vec<f64>> = HashMap::new();
    let mut boundaries = Vec::new();
    for s in order {
        let (Some(model), Some(current)) =
            (models.get(&s.measure.id), thresholds.get(&s.measure.id))
        else {
            continue;
        };
        let key = (s.benchmark.id, s.measure.id);
        let earlier = own.entry(key).or_default();
        let stored_history = histories
            .get(&s.measure.id)
            .and_then(|h| h.get(&s.benchmark.id))
            .map_or(&[][..], Vec::as_slice);
        let history: Vec<f64> = earlier
            .iter()
            .rev()
            .chain(stored_history)
            .copied()
            .collect();
        earlier.push(s.metric.value);
        if let Some(b) = bencher_stats::compute_boundary(model, &history) {
            boundaries.push((
                s,
                NewBoundary {
                    metric_id: s.metric.id,
                    threshold_id: current.threshold.id,
                    model_id: current.model.id,
                    baseline: b.baseline,
                    lower_limit: b.lower_limit,
                    upper_limit: b.upper_limit,
                },
            ));
        }
    }
    let rows: Vec<NewBoundary> = boundaries.iter().map(|(_, b)| *b).collect();
    let stored_boundaries = insert_boundaries(db, &rows).await?;
    let mut alerts = Vec::new();
    for (s, _) in &boundaries {
        let Some(row) = stored_boundaries.get(&s.metric.id) else {
            continue;
        };
        let boundary = Boundary {
            baseline: row.baseline,
            lower_limit: row.lower_limit,
            upper_limit: row.upper_limit,
        };
        if let Some(limit) = bencher_stats::alert(&s.benchmark.name, &boundary, s.metric.value) {
            alerts.push(NewAlert {
                boundary_id: row.id,
                limit: match limit {
                    Limit::Lower => BoundaryLimit::Lower,
                    Limit::Upper => BoundaryLimit::Upper,
                },
            });
        }
    }
    insert_alerts(db, report.project_id, &alerts).await?;
    Ok(rows.len())
}

/// The statistics model of a stored model version; `None` (with a warning) when this version
/// cannot read it, so one bad row does not block the report.
fn stats_model(stored: &model::Model) -> Option<Model> {
    let Some(test) = ThresholdTest::ALL
        .into_iter()
        .find(|t| t.as_str() == stored.test)
    else {
        warn!(model = %stored.uuid, test = %stored.test, "unknown threshold test, skipped");
        return None;
    };
    let size = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok());
    let model = Model {
        test,
        min_sample_size: size(stored.min_sample_size),
        max_sample_size: size(stored.max_sample_size),
        window: size(stored.window),
        lower_boundary: stored.lower_boundary,
        upper_boundary: stored.upper_boundary,
    };
    match model.validate() {
        Ok(()) => Some(model),
        Err(e) => {
            warn!(model = %stored.uuid, error = %e, "invalid threshold model, skipped");
            None
        }
    }
}
