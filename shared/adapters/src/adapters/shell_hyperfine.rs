//! `shell_hyperfine`: hyperfine's `--export-json` (seconds). Latency is the mean ± one
//! standard deviation (no bounds when hyperfine ran once and wrote `"stddev": null`), or with
//! `--average median` the median bounded by the fastest and slowest run.

use bencher_wire::bmf::{Bmf, JsonMetric};
use serde::Deserialize;

use super::{check_average, from_json, lenient_f64, required};
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::plus_minus;

const KIND: Adapter = Adapter::ShellHyperfine;

#[derive(Deserialize)]
struct Export {
    results: Vec<Run>,
}

#[derive(Deserialize)]
struct Run {
    command: String,
    #[serde(default, deserialize_with = "lenient_f64")]
    mean: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    stddev: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    median: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    min: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    max: Option<f64>,
}

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[Average::Mean, Average::Median], "")?;
    let export: Export = from_json(KIND, input)?;
    let mut bmf = Collector::default();
    for run in export.results {
        let name = &run.command;
        let metric = match settings.average.unwrap_or(Average::Mean) {
            Average::Mean => {
                let mean = required(run.mean, name, "mean")? * 1e9;
                match run.stddev {
                    Some(stddev) => plus_minus(mean, stddev * 1e9),
                    None => JsonMetric::new(mean),
                }
            }
            Average::Median => JsonMetric::with_bounds(
                required(run.median, name, "median")? * 1e9,
                required(run.min, name, "min")? * 1e9,
                required(run.max, name, "max")? * 1e9,
            ),
        };
        bmf.insert(run.command, LATENCY, metric);
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"{"results": [
        {"command": "sleep 0.1", "mean": 0.1, "stddev": 0.001, "median": 0.099, "min": 0.098, "max": 0.103},
        {"command": "true", "mean": 0.002, "stddev": null, "median": 0.002, "min": 0.002, "max": 0.002}]}"#;

    #[test]
    fn mean_and_median() {
        let bmf = parse(TWO, Settings::default()).unwrap();
        let m = bmf.0["sleep 0.1"][LATENCY];
        assert_eq!(
            (m.value, m.lower_value, m.upper_value),
            (1e8, Some(9.9e7), Some(1.01e8))
        );
        assert_eq!(bmf.0["true"][LATENCY], JsonMetric::new(2e6));
        let median = parse(
            TWO,
            Settings {
                average: Some(Average::Median),
            },
        )
        .unwrap();
        let m = median.0["sleep 0.1"][LATENCY];
        assert_eq!(
            (m.value, m.lower_value, m.upper_value),
            (9.9e7, Some(9.8e7), Some(1.03e8))
        );
    }
}
