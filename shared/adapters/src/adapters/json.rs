//! `json`: Bencher Metric Format as given. Values must be finite numbers (bare `NaN` and
//! `Infinity` are refused naming the benchmark); negative values pass through, since custom
//! measures may be deltas.

use std::collections::BTreeMap;

use bencher_wire::bmf::{Bmf, JsonMetric};
use serde::Deserialize;

use super::{from_json, lenient_f64, required};
use crate::error::AdaptError;
use crate::kind::Adapter;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetric {
    #[serde(default, deserialize_with = "lenient_f64")]
    value: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    lower_value: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    upper_value: Option<f64>,
}

pub(crate) fn parse(input: &str) -> Result<Bmf, AdaptError> {
    let raw: BTreeMap<String, BTreeMap<String, RawMetric>> = from_json(Adapter::Json, input)?;
    let mut bmf = Bmf::default();
    for (benchmark, measures) in raw {
        for (measure, metric) in measures {
            let value = required(metric.value, &benchmark, &measure)?;
            let metric = JsonMetric {
                value,
                lower_value: metric.lower_value,
                upper_value: metric.upper_value,
            };
            bmf.insert(benchmark.clone(), &measure, metric);
        }
        // Keep a benchmark without measures so validation names it ("has no measures").
        bmf.0.entry(benchmark).or_default();
    }
    Ok(bmf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_names_values_and_negative_deltas() {
        let bmf = parse(r#"{"a b/ü: c": {"latency": {"value": 1.5, "upper_value": 2}, "delta": {"value": -3}}}"#)
            .unwrap();
        assert_eq!(bmf.0["a b/ü: c"]["latency"].upper_value, Some(2.0));
        assert_eq!(bmf.0["a b/ü: c"]["delta"].value, -3.0);
    }

    #[test]
    fn refuses_nan_naming_the_benchmark() {
        let err = parse(r#"{"fib 20": {"latency": {"value": NaN}}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fib 20") && err.contains("latency"), "{err}");
    }

    #[test]
    fn refuses_unknown_metric_fields_and_non_objects() {
        assert!(parse(r#"{"a": {"latency": {"value": 1, "vaule": 2}}}"#).is_err());
        assert!(parse(r#"[1, 2]"#).is_err());
    }
}
