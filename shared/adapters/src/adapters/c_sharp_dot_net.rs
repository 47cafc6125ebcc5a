//! `c_sharp_dot_net`: BenchmarkDotNet's full JSON export (`--exporters json`), nanoseconds,
//! named by `FullName`. Latency is the mean ± one standard deviation, or with
//! `--average median` the median ± the interquartile range. Benchmarks that failed (no
//! `Statistics`) are skipped.

use bencher_wire::bmf::Bmf;
use serde::Deserialize;

use super::{check_average, from_json, lenient_f64, required};
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::plus_minus;

const KIND: Adapter = Adapter::CSharpDotNet;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Report {
    benchmarks: Vec<Benchmark>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Benchmark {
    full_name: String,
    statistics: Option<Statistics>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Statistics {
    #[serde(default, deserialize_with = "lenient_f64")]
    mean: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    standard_deviation: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    median: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    interquartile_range: Option<f64>,
}

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[Average::Mean, Average::Median], "")?;
    let report: Report = from_json(KIND, input)?;
    let mut bmf = Collector::default();
    for benchmark in report.benchmarks {
        let Some(stats) = &benchmark.statistics else {
            continue;
        };
        let name = &benchmark.full_name;
        let (value, spread) = match settings.average.unwrap_or(Average::Mean) {
            Average::Mean => (
                required(stats.mean, name, "Mean")?,
                required(stats.standard_deviation, name, "StandardDeviation")?,
            ),
            Average::Median => (
                required(stats.median, name, "Median")?,
                required(stats.interquartile_range, name, "InterquartileRange")?,
            ),
        };
        bmf.insert(benchmark.full_name, LATENCY, plus_minus(value, spread));
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_median_and_failed_benchmarks() {
        let doc = r#"{"Title": "x", "Benchmarks": [
            {"FullName": "Ns.Type.Sleep", "Statistics": {"Mean": 100.5, "StandardDeviation": 2.5,
             "Median": 99, "InterquartileRange": 3}},
            {"FullName": "Ns.Type.Broken", "Statistics": null}]}"#;
        let bmf = parse(doc, Settings::default()).unwrap();
        assert_eq!(bmf.0.len(), 1);
        assert_eq!(bmf.0["Ns.Type.Sleep"][LATENCY].lower_value, Some(98.0));
        let bmf = parse(
            doc,
            Settings {
                average: Some(Average::Median),
            },
        )
        .unwrap();
        assert_eq!(bmf.0["Ns.Type.Sleep"][LATENCY].upper_value, Some(102.0));
    }
}
