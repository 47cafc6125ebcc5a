//! `python_pytest`: pytest-benchmark's `--benchmark-json` (seconds), named by `fullname`
//! (`tests/test_x.py::test_fib[10]`). Latency is the mean ± one standard deviation, or with
//! `--average median` the median ± the interquartile range.

use bencher_wire::bmf::Bmf;
use serde::Deserialize;

use super::{check_average, from_json, lenient_f64, required};
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::plus_minus;

const KIND: Adapter = Adapter::PythonPytest;

#[derive(Deserialize)]
struct Report {
    benchmarks: Vec<Benchmark>,
}

#[derive(Deserialize)]
struct Benchmark {
    fullname: String,
    stats: Stats,
}

#[derive(Deserialize)]
struct Stats {
    #[serde(default, deserialize_with = "lenient_f64")]
    mean: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    stddev: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    median: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    iqr: Option<f64>,
}

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[Average::Mean, Average::Median], "")?;
    let report: Report = from_json(KIND, input)?;
    let mut bmf = Collector::default();
    for benchmark in report.benchmarks {
        let name = &benchmark.fullname;
        let stats = &benchmark.stats;
        let (value, spread) = match settings.average.unwrap_or(Average::Mean) {
            Average::Mean => (
                required(stats.mean, name, "mean")?,
                required(stats.stddev, name, "stddev")?,
            ),
            Average::Median => (
                required(stats.median, name, "median")?,
                required(stats.iqr, name, "iqr")?,
            ),
        };
        bmf.insert(
            benchmark.fullname,
            LATENCY,
            plus_minus(value * 1e9, spread * 1e9),
        );
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_median_and_named_nan() {
        let doc = r#"{"machine_info": {}, "benchmarks": [{"name": "test_a", "fullname": "t.py::test_a",
            "stats": {"mean": 0.002, "stddev": 0.0001, "median": 0.0019, "iqr": 0.0002}}]}"#;
        let bmf = parse(doc, Settings::default()).unwrap();
        let m = bmf.0["t.py::test_a"][LATENCY];
        assert_eq!((m.value, m.lower_value), (2e6, Some(1.9e6)));
        let bmf = parse(
            doc,
            Settings {
                average: Some(Average::Median),
            },
        )
        .unwrap();
        assert_eq!(bmf.0["t.py::test_a"][LATENCY].upper_value, Some(2.1e6));
        let nan = doc.replace("0.0001", "NaN");
        let err = parse(&nan, Settings::default()).unwrap_err().to_string();
        assert!(
            err.contains("t.py::test_a") && err.contains("stddev"),
            "{err}"
        );
    }
}
