//! `js_vitest`: vitest's `vitest bench --outputJson` report (milliseconds). Each benchmark is
//! named `<group fullName> > <name>`; latency is the mean ± one standard deviation (or the
//! median, which vitest gives without a spread), throughput is `hz` ± the relative margin of error.

use bencher_wire::bmf::{Bmf, JsonMetric};
use serde::Deserialize;

use super::{check_average, from_json, lenient_f64, required};
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::{LATENCY, THROUGHPUT};
use crate::text::plus_minus;

const KIND: Adapter = Adapter::JsVitest;

#[derive(Deserialize)]
struct Report {
    files: Vec<File>,
}

#[derive(Deserialize)]
struct File {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(rename = "fullName")]
    full_name: String,
    benchmarks: Vec<Benchmark>,
}

#[derive(Deserialize)]
struct Benchmark {
    name: String,
    #[serde(default, deserialize_with = "lenient_f64")]
    hz: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    mean: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    median: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    sd: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    rme: Option<f64>,
}

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[Average::Mean, Average::Median], "")?;
    let report: Report = from_json(KIND, input)?;
    let mut bmf = Collector::default();
    for group in report.files.into_iter().flat_map(|f| f.groups) {
        for b in group.benchmarks {
            let name = if group.full_name.is_empty() {
                b.name.clone()
            } else {
                format!("{} > {}", group.full_name, b.name)
            };
            let latency = match settings.average.unwrap_or(Average::Mean) {
                Average::Mean => plus_minus(
                    required(b.mean, &name, "mean")? * 1e6,
                    required(b.sd, &name, "sd")? * 1e6,
                ),
                Average::Median => JsonMetric::new(required(b.median, &name, "median")? * 1e6),
            };
            let hz = required(b.hz, &name, "hz")?;
            let rme = required(b.rme, &name, "rme")?;
            bmf.insert(name.clone(), LATENCY, latency);
            bmf.insert(name, THROUGHPUT, plus_minus(hz, hz * rme / 100.0));
        }
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_and_throughput() {
        let doc = r#"{"files": [{"filepath": "/x/fib.bench.ts", "groups": [{"fullName": "fib.bench.ts > fib",
            "benchmarks": [{"name": "fib(10)", "hz": 1000, "mean": 1, "median": 0.75, "sd": 0.25, "rme": 25}]}]}]}"#;
        let bmf = parse(doc, Settings::default()).unwrap();
        let b = &bmf.0["fib.bench.ts > fib > fib(10)"];
        assert_eq!(b[LATENCY], JsonMetric::with_bounds(1e6, 7.5e5, 1.25e6));
        assert_eq!(
            b[THROUGHPUT],
            JsonMetric::with_bounds(1000.0, 750.0, 1250.0)
        );
        let bmf = parse(
            doc,
            Settings {
                average: Some(Average::Median),
            },
        )
        .unwrap();
        assert_eq!(
            bmf.0["fib.bench.ts > fib > fib(10)"][LATENCY],
            JsonMetric::new(7.5e5)
        );
    }
}
