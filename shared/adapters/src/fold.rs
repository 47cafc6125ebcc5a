//! `--fold`: collapse the BMF documents of several iterations into one.

use std::collections::BTreeMap;

use bencher_wire::bmf::{Bmf, JsonMetric};

use crate::kind::Fold;

/// Collapse `iterations` into one document. Each benchmark and measure is folded over the
/// iterations that report it: `min`/`max` keep the whole metric with the smallest/largest value
/// (its own bounds), `mean`/`median` fold values, lower bounds and upper bounds separately (a
/// bound is kept only if every folded metric has it). No iterations gives an empty document.
pub fn fold(iterations: &[Bmf], how: Fold) -> Bmf {
    let mut grouped: BTreeMap<&str, BTreeMap<&str, Vec<JsonMetric>>> = BTreeMap::new();
    for bmf in iterations {
        for (benchmark, measures) in &bmf.0 {
            let by_measure = grouped.entry(benchmark).or_default();
            for (measure, metric) in measures {
                by_measure.entry(measure).or_default().push(*metric);
            }
        }
    }
    let mut out = Bmf::default();
    for (benchmark, measures) in grouped {
        for (measure, metrics) in measures {
            if let Some(metric) = fold_metrics(&metrics, how) {
                out.insert(benchmark.to_owned(), measure, metric);
            }
        }
    }
    out
}

fn fold_metrics(metrics: &[JsonMetric], how: Fold) -> Option<JsonMetric> {
    match how {
        Fold::Min => metrics
            .iter()
            .copied()
            .min_by(|a, b| a.value.total_cmp(&b.value)),
        Fold::Max => metrics
            .iter()
            .copied()
            .max_by(|a, b| a.value.total_cmp(&b.value)),
        Fold::Mean => Some(JsonMetric {
            value: mean(metrics.iter().map(|m| Some(m.value)))?,
            lower_value: mean(metrics.iter().map(|m| m.lower_value)),
            upper_value: mean(metrics.iter().map(|m| m.upper_value)),
        }),
        Fold::Median => Some(JsonMetric {
            value: median(metrics.iter().map(|m| Some(m.value)))?,
            lower_value: median(metrics.iter().map(|m| m.lower_value)),
            upper_value: median(metrics.iter().map(|m| m.upper_value)),
        }),
    }
}

fn mean(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let values: Option<Vec<f64>> = values.collect();
    let values = values.filter(|v| !v.is_empty())?;
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

fn median(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut values: Vec<f64> = values.collect::<Option<_>>()?;
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => values.get(mid).copied(),
        _ => Some((values.get(mid - 1)? + values.get(mid)?) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Entry<'a> = (&'a str, f64, Option<(f64, f64)>);

    fn doc(entries: &[Entry<'_>]) -> Bmf {
        let mut bmf = Bmf::default();
        for (name, value, bounds) in entries {
            let metric = match bounds {
                Some((lo, hi)) => JsonMetric::with_bounds(*value, *lo, *hi),
                None => JsonMetric::new(*value),
            };
            bmf.insert((*name).to_owned(), "latency", metric);
        }
        bmf
    }

    #[test]
    fn folds_each_benchmark_over_the_iterations_that_report_it() {
        let iterations = [
            doc(&[("a", 3.0, Some((2.0, 4.0))), ("b", 10.0, None)]),
            doc(&[("a", 1.0, Some((0.5, 1.5)))]),
            doc(&[("a", 8.0, Some((7.0, 9.0))), ("b", 20.0, None)]),
        ];
        let get = |bmf: &Bmf, name: &str| bmf.0[name]["latency"];

        let min = fold(&iterations, Fold::Min);
        assert_eq!(get(&min, "a"), JsonMetric::with_bounds(1.0, 0.5, 1.5));
        assert_eq!(get(&min, "b"), JsonMetric::new(10.0));

        let max = fold(&iterations, Fold::Max);
        assert_eq!(get(&max, "a"), JsonMetric::with_bounds(8.0, 7.0, 9.0));

        let mean = fold(&iterations, Fold::Mean);
        assert_eq!(
            get(&mean, "a"),
            JsonMetric::with_bounds(4.0, 9.5 / 3.0, 14.5 / 3.0)
        );
        assert_eq!(get(&mean, "b"), JsonMetric::new(15.0));

        let median = fold(&iterations, Fold::Median);
        assert_eq!(get(&median, "a"), JsonMetric::with_bounds(3.0, 2.0, 4.0));
        assert_eq!(get(&median, "b"), JsonMetric::new(15.0));
    }

    #[test]
    fn a_bound_missing_in_one_iteration_is_dropped_by_mean_and_median() {
        let iterations = [
            doc(&[("a", 2.0, Some((1.0, 3.0)))]),
            doc(&[("a", 4.0, None)]),
        ];
        assert_eq!(
            fold(&iterations, Fold::Mean).0["a"]["latency"],
            JsonMetric::new(3.0)
        );
        assert_eq!(
            fold(&iterations, Fold::Median).0["a"]["latency"],
            JsonMetric::new(3.0)
        );
    }

    #[test]
    fn no_iterations_fold_to_nothing() {
        assert!(fold(&[], Fold::Mean).0.is_empty());
    }
}
