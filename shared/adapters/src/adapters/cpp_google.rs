//! `cpp_google`: Google Benchmark's JSON (`--benchmark_format=json` or `--benchmark_out=FILE`).
//! Latency is `real_time` in its `time_unit`; `items_per_second` also gives throughput. With
//! repetitions, the `mean` aggregate ± the `stddev` aggregate is reported (the `median`
//! aggregate with `--average median`); without, the iteration itself (a mean over its
//! iterations). Runs that report an error are skipped.

use std::collections::BTreeMap;

use bencher_wire::bmf::{Bmf, JsonMetric};
use serde::Deserialize;

use super::{from_json, lenient_f64, required};
use crate::collect::Collector;
use crate::error::{AdaptError, unknown_unit};
use crate::kind::{Adapter, Average, Settings};
use crate::measure::{LATENCY, THROUGHPUT};
use crate::text::{nanos_per, plus_minus};

const KIND: Adapter = Adapter::CppGoogle;

#[derive(Deserialize)]
struct Report {
    benchmarks: Vec<Run>,
}

#[derive(Deserialize)]
struct Run {
    name: String,
    run_name: Option<String>,
    run_type: Option<String>,
    aggregate_name: Option<String>,
    #[serde(default)]
    error_occurred: bool,
    #[serde(default, deserialize_with = "lenient_f64")]
    real_time: Option<f64>,
    time_unit: Option<String>,
    #[serde(default, deserialize_with = "lenient_f64")]
    items_per_second: Option<f64>,
}

#[derive(Default)]
struct Family<'a> {
    iterations: Vec<&'a Run>,
    aggregates: BTreeMap<&'a str, &'a Run>,
}

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    let report: Report = from_json(KIND, input)?;
    let mut families: BTreeMap<&str, Family<'_>> = BTreeMap::new();
    for run in report.benchmarks.iter().filter(|r| !r.error_occurred) {
        let family = families
            .entry(run.run_name.as_deref().unwrap_or(&run.name))
            .or_default();
        match (run.run_type.as_deref(), run.aggregate_name.as_deref()) {
            (Some("aggregate"), Some(aggregate)) => {
                family.aggregates.insert(aggregate, run);
            }
            (Some("aggregate"), None) => {}
            _ => family.iterations.push(run),
        }
    }
    let mut bmf = Collector::default();
    for (name, family) in families {
        let average = settings.average.unwrap_or(Average::Mean);
        let (center, spread) = match (average, family.aggregates.is_empty()) {
            (Average::Mean, false) => (
                family.aggregates.get("mean"),
                family.aggregates.get("stddev"),
            ),
            (Average::Median, false) => (family.aggregates.get("median"), None),
            (Average::Mean, true) => (family.iterations.last(), None),
            (Average::Median, true) => {
                return Err(AdaptError::UnsupportedAverage {
                    adapter: KIND,
                    average,
                    reason: "without --benchmark_repetitions Google Benchmark reports no median",
                });
            }
        };
        let Some(center) = center else {
            continue;
        };
        let latency = nanos(name, center)?;
        let metric = match spread {
            Some(stddev) => plus_minus(latency, nanos(name, stddev)?),
            None => JsonMetric::new(latency),
        };
        bmf.insert(name, LATENCY, metric);
        if let Some(items) = center.items_per_second {
            let metric = match spread.and_then(|s| s.items_per_second) {
                Some(stddev) => plus_minus(items, stddev),
                None => JsonMetric::new(items),
            };
            bmf.insert(name, THROUGHPUT, metric);
        }
    }
    bmf.finish()
}

fn nanos(name: &str, run: &Run) -> Result<f64, AdaptError> {
    let unit = run.time_unit.as_deref().unwrap_or("ns");
    let scale = nanos_per(unit).ok_or_else(|| unknown_unit(name, unit))?;
    Ok(required(run.real_time, name, "real_time")? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, kind: &str, aggregate: &str, real: f64, unit: &str) -> String {
        format!(
            r#"{{"name": "{name}_{aggregate}", "run_name": "{name}", "run_type": "{kind}",
            "aggregate_name": "{aggregate}", "real_time": {real}, "cpu_time": 1, "time_unit": "{unit}"}}"#
        )
    }

    #[test]
    fn iterations_and_aggregates() {
        let runs = [
            run("BM_a/8", "iteration", "", 12.5, "us"),
            run("BM_b", "iteration", "", 1.0, "ns"),
            run("BM_b", "iteration", "", 3.0, "ns"),
            run("BM_b", "aggregate", "mean", 2.0, "ns"),
            run("BM_b", "aggregate", "median", 1.5, "ns"),
            run("BM_b", "aggregate", "stddev", 0.5, "ns"),
        ];
        let doc = format!(r#"{{"context": {{}}, "benchmarks": [{}]}}"#, runs.join(","));
        let bmf = parse(&doc, Settings::default()).unwrap();
        assert_eq!(bmf.0["BM_a/8"][LATENCY], JsonMetric::new(12_500.0));
        assert_eq!(
            bmf.0["BM_b"][LATENCY],
            JsonMetric::with_bounds(2.0, 1.5, 2.5)
        );
        let median = Settings {
            average: Some(Average::Median),
        };
        assert!(matches!(
            parse(&doc, median),
            Err(AdaptError::UnsupportedAverage { .. })
        ));
    }
}
