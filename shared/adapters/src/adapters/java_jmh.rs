//! `java_jmh`: JMH's JSON results (`-rf json`). A score in `x/op` is latency, in `ops/x`
//! throughput; bounds are JMH's `scoreConfidence` (or score ± `scoreError`). With
//! `--average median` the 50th percentile is taken, without bounds. `params` are appended to
//! the name as `benchmark(k=v, ...)` so parameterised runs stay apart.

use std::collections::BTreeMap;

use bencher_wire::bmf::{Bmf, JsonMetric};
use serde::Deserialize;

use super::{check_average, from_json, lenient_f64, required};
use crate::collect::Collector;
use crate::error::{AdaptError, unknown_unit};
use crate::kind::{Adapter, Average, Settings};
use crate::measure::{LATENCY, THROUGHPUT};
use crate::text::{nanos_per, plus_minus};

const KIND: Adapter = Adapter::JavaJmh;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    benchmark: String,
    #[serde(default)]
    params: BTreeMap<String, String>,
    primary_metric: PrimaryMetric,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrimaryMetric {
    #[serde(default, deserialize_with = "lenient_f64")]
    score: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    score_error: Option<f64>,
    #[serde(default)]
    score_confidence: Vec<Lenient>,
    #[serde(default)]
    score_percentiles: BTreeMap<String, Lenient>,
    score_unit: String,
}

/// A statistic JMH may write as `"NaN"` when it has a single measurement.
#[derive(Clone, Copy, Deserialize)]
struct Lenient(#[serde(deserialize_with = "lenient_f64")] Option<f64>);

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[Average::Mean, Average::Median], "")?;
    let runs: Vec<Run> = from_json(KIND, input)?;
    let mut bmf = Collector::default();
    for run in runs {
        let name = if run.params.is_empty() {
            run.benchmark
        } else {
            let params: Vec<String> = run.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{}({})", run.benchmark, params.join(", "))
        };
        let metric = &run.primary_metric;
        let unit = metric.score_unit.as_str();
        // Latency `x/op` converts by nanoseconds per x; throughput `ops/x` by x per second.
        let (measure, scale, inverted) = if let Some(time) = unit.strip_suffix("/op") {
            (LATENCY, nanos_per(time), false)
        } else if let Some(time) = unit.strip_prefix("ops/") {
            (THROUGHPUT, nanos_per(time).map(|ns| 1e9 / ns), true)
        } else {
            return Err(unknown_unit(&name, unit));
        };
        let scale = scale.ok_or_else(|| unknown_unit(&name, unit))?;
        let json_metric = match settings.average.unwrap_or(Average::Mean) {
            Average::Median => {
                let p50 = metric.score_percentiles.get("50.0").and_then(|p| p.0);
                JsonMetric::new(required(p50, &name, "scorePercentiles 50.0")? * scale)
            }
            Average::Mean => {
                let score = required(metric.score, &name, "score")? * scale;
                let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
                match (
                    metric.score_confidence.as_slice(),
                    finite(metric.score_error),
                ) {
                    ([Lenient(Some(lo)), Lenient(Some(hi))], _)
                        if lo.is_finite() && hi.is_finite() =>
                    {
                        let (lo, hi) = (lo * scale, hi * scale);
                        let (lo, hi) = if inverted && lo > hi {
                            (hi, lo)
                        } else {
                            (lo, hi)
                        };
                        JsonMetric::with_bounds(score, if lo < 0.0 { 0.0 } else { lo }, hi)
                    }
                    (_, Some(error)) => plus_minus(score, error * scale),
                    // A single measurement: JMH has no error to give ("NaN").
                    _ => JsonMetric::new(score),
                }
            }
        };
        bmf.insert(name, measure, json_metric);
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_throughput_params_and_median() {
        let doc = r#"[
          {"benchmark": "a.B.lat", "mode": "avgt", "primaryMetric": {"score": 2.5, "scoreError": 0.5,
            "scoreConfidence": [2.0, 3.0], "scorePercentiles": {"50.0": 2.4}, "scoreUnit": "us/op"}},
          {"benchmark": "a.B.thr", "params": {"size": "10"}, "primaryMetric": {"score": 3.0,
            "scoreError": "NaN", "scoreUnit": "ops/ms"}},
          {"benchmark": "a.B.thr", "params": {"size": "20"}, "primaryMetric": {"score": 1.5,
            "scoreError": 0.5, "scoreUnit": "ops/s"}}]"#;
        let bmf = parse(doc, Settings::default()).unwrap();
        // JMH writes "NaN" for the error of a single measurement: no bounds then.
        assert_eq!(
            bmf.0["a.B.thr(size=10)"][THROUGHPUT],
            JsonMetric::new(3000.0)
        );
        let doc = doc.replace("\"NaN\"", "0.25");
        let bmf = parse(&doc, Settings::default()).unwrap();
        assert_eq!(
            bmf.0["a.B.lat"][LATENCY],
            JsonMetric::with_bounds(2500.0, 2000.0, 3000.0)
        );
        assert_eq!(
            bmf.0["a.B.thr(size=10)"][THROUGHPUT],
            JsonMetric::with_bounds(3000.0, 2750.0, 3250.0)
        );
        assert_eq!(bmf.0["a.B.thr(size=20)"][THROUGHPUT].value, 1.5);
        let bmf = parse(
            &doc,
            Settings {
                average: Some(Average::Median),
            },
        );
        let err = bmf.unwrap_err().to_string();
        assert!(err.contains("a.B.thr(size=10)"), "{err}");
    }
}
