//! Bencher Metric Format: `{ "<benchmark>": { "<measure>": { "value": 1.0, ... } } }`.
//!
//! The one shape every adapter produces and the `json` adapter accepts as it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, truncate_for_message};

/// One measured value with optional bounds (e.g. the estimate's confidence interval).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonMetric {
    /// The value, in the measure's units (latency: nanoseconds, throughput: operations/second).
    pub value: f64,
    /// The lower bound of the value, if the harness reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_value: Option<f64>,
    /// The upper bound of the value, if the harness reports one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_value: Option<f64>,
}

impl JsonMetric {
    /// A value without bounds.
    pub fn new(value: f64) -> Self {
        Self {
            value,
            lower_value: None,
            upper_value: None,
        }
    }

    /// A value with both bounds.
    pub fn with_bounds(value: f64, lower_value: f64, upper_value: f64) -> Self {
        Self {
            value,
            lower_value: Some(lower_value),
            upper_value: Some(upper_value),
        }
    }
}

/// Measures of one benchmark, keyed by measure slug (`latency`, `throughput`, custom).
pub type BmfMeasures = BTreeMap<String, JsonMetric>;

/// A whole BMF document: benchmarks by name (kept exactly, spaces, slashes and non-ASCII
/// included), each with its measures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bmf(pub BTreeMap<String, BmfMeasures>);

impl Bmf {
    /// Check what JSON cannot: every value finite, every name non-empty, at least one metric.
    /// The error names the benchmark and measure at fault.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.0.is_empty() {
            return Err(ValidationError::Invalid {
                what: "results",
                reason: "no benchmarks".to_owned(),
            });
        }
        for (benchmark, measures) in &self.0 {
            if benchmark.trim().is_empty() {
                return Err(ValidationError::Invalid {
                    what: "benchmark name",
                    reason: "empty".to_owned(),
                });
            }
            if measures.is_empty() {
                return Err(ValidationError::Invalid {
                    what: "benchmark",
                    reason: format!("{:?} has no measures", truncate_for_message(benchmark)),
                });
            }
            for (measure, metric) in measures {
                if measure.trim().is_empty() {
                    return Err(ValidationError::Invalid {
                        what: "measure name",
                        reason: format!("empty in {:?}", truncate_for_message(benchmark)),
                    });
                }
                let values = [Some(metric.value), metric.lower_value, metric.upper_value];
                if values.into_iter().flatten().any(|v| !v.is_finite()) {
                    return Err(ValidationError::Invalid {
                        what: "metric",
                        reason: format!(
                            "{:?} {:?} is not a finite number",
                            truncate_for_message(benchmark),
                            truncate_for_message(measure)
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// Add (or replace) one metric.
    pub fn insert(&mut self, benchmark: String, measure: &str, metric: JsonMetric) {
        self.0
            .entry(benchmark)
            .or_default()
            .insert(measure.to_owned(), metric);
    }

    /// Number of metrics in the document.
    pub fn metric_count(&self) -> usize {
        self.0.values().map(BTreeMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_names_exactly() {
        let json = r#"{"sort/µs: big list":{"latency":{"value":1.5,"lower_value":1.0,"upper_value":2.0}}}"#;
        let bmf: Bmf = serde_json::from_str(json).unwrap();
        bmf.validate().unwrap();
        assert_eq!(serde_json::to_string(&bmf).unwrap(), json);
    }

    #[test]
    fn refuses_non_finite_values_naming_the_benchmark() {
        let mut bmf = Bmf::default();
        bmf.insert("fib 20".to_owned(), "latency", JsonMetric::new(f64::NAN));
        let err = bmf.validate().unwrap_err().to_string();
        assert!(err.contains("fib 20"), "{err}");
    }

    #[test]
    fn negative_values_pass_through() {
        let mut bmf = Bmf::default();
        bmf.insert("delta".to_owned(), "size-change", JsonMetric::new(-3.0));
        bmf.validate().unwrap();
    }
}
