//! From raw outputs to metrics: each iteration's stdout through the report's adapter, plus the
//! `build-time` and `file-size` measures a job reported, folded when the report says so. Pure.

use bencher_adapters::measure::{BUILD_TIME, CUSTOM_UNITS, FILE_SIZE};
use bencher_adapters::{Adapter, Average, Bmf, Fold, JsonMetric, Settings, built_in_measure};
use bencher_db::queries::metrics::{NewMeasure, NewMetric};
use bencher_wire::Slug;

/// How a report's outputs are parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseSettings {
    /// The adapter (`magic` detects the format).
    pub adapter: Adapter,
    /// The statistic to use, when the harness reports several.
    pub average: Option<Average>,
    /// How iterations fold into one; `None` keeps each iteration.
    pub fold: Option<Fold>,
}

/// One iteration's output and what the job measured around it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IterationOutput {
    /// Standard output: the harness's results.
    pub stdout: String,
    /// `(benchmark name, seconds)` for the `build-time` measure, when asked for.
    pub build_time: Option<(String, f64)>,
    /// `(file path, bytes)` per output file for the `file-size` measure, when asked for.
    pub file_sizes: Vec<(String, f64)>,
}

/// The metrics of a report and the measures they need.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// One per (iteration, benchmark, measure).
    pub metrics: Vec<NewMetric>,
    /// Each measure once, with built-in names and units (`units` for unknown slugs).
    pub measures: Vec<NewMeasure>,
}

/// Parse every iteration (the error is the adapter's message, naming the iteration when there
/// are several), add the job's measures, fold if asked.
pub fn parse_outputs(
    settings: ParseSettings,
    outputs: &[IterationOutput],
) -> Result<Parsed, String> {
    let adapter_settings = Settings {
        average: settings.average,
    };
    let several = outputs.len() > 1;
    let mut documents = Vec::with_capacity(outputs.len());
    for (i, output) in outputs.iter().enumerate() {
        let mut bmf = bencher_adapters::adapt(settings.adapter, adapter_settings, &output.stdout)
            .map_err(|e| {
            if several {
                format!("iteration {}: {e}", i + 1)
            } else {
                e.to_string()
            }
        })?;
        if let Some((name, seconds)) = &output.build_time {
            add(&mut bmf, name, BUILD_TIME, *seconds);
        }
        for (path, bytes) in &output.file_sizes {
            add(&mut bmf, path, FILE_SIZE, *bytes);
        }
        documents.push(bmf);
    }
    if let Some(how) = settings.fold
        && !documents.is_empty()
    {
        documents = vec![bencher_adapters::fold(&documents, how)];
    }
    to_metrics(&documents)
}

fn add(bmf: &mut Bmf, benchmark: &str, measure: &str, value: f64) {
    bmf.0
        .entry(benchmark.to_owned())
        .or_default()
        .insert(measure.to_owned(), JsonMetric::new(value));
}

fn to_metrics(documents: &[Bmf]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    for (iteration, bmf) in documents.iter().enumerate() {
        let iteration = i32::try_from(iteration).map_err(|_| "too many iterations".to_owned())?;
        for (benchmark, measures) in &bmf.0 {
            for (key, metric) in measures {
                let measure = measure_for(key)?;
                if !parsed.measures.iter().any(|m| m.slug == measure.slug) {
                    parsed.measures.push(measure.clone());
                }
                parsed.metrics.push(NewMetric {
                    iteration,
                    benchmark: benchmark.clone(),
                    measure: measure.slug,
                    value: metric.value,
                    lower_value: metric.lower_value,
                    upper_value: metric.upper_value,
                });
            }
        }
    }
    Ok(parsed)
}

/// The measure a BMF key names: a built-in by slug, else a custom measure named by the key.
fn measure_for(key: &str) -> Result<NewMeasure, String> {
    let slug = key
        .parse::<Slug>()
        .ok()
        .or_else(|| Slug::from_name(key))
        .ok_or_else(|| format!("measure {key:?} has no letters or digits to name it by"))?;
    Ok(match built_in_measure(slug.as_str()) {
        Some(info) => NewMeasure {
            slug,
            name: info.name.to_owned(),
            units: info.units.to_owned(),
        },
        None => NewMeasure {
            slug,
            name: key.trim().to_owned(),
            units: CUSTOM_UNITS.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(adapter: Adapter, fold: Option<Fold>) -> ParseSettings {
        ParseSettings {
            adapter,
            average: None,
            fold,
        }
    }

    fn out(stdout: &str) -> IterationOutput {
        IterationOutput {
            stdout: stdout.to_owned(),
            ..IterationOutput::default()
        }
    }

    #[test]
    fn bmf_gives_one_metric_per_iteration_benchmark_and_measure() {
        let a = r#"{"a": {"latency": {"value": 10.0}, "Heap Bytes": {"value": 3.0}}}"#;
        let b = r#"{"a": {"latency": {"value": 20.0, "lower_value": 19.0}}}"#;
        let parsed = parse_outputs(json(Adapter::Json, None), &[out(a), out(b)]).unwrap();
        assert_eq!(parsed.metrics.len(), 3);
        let second = &parsed.metrics[2];
        assert_eq!((second.iteration, second.value), (1, 20.0));
        assert_eq!(second.lower_value, Some(19.0));
        let heap = parsed
            .measures
            .iter()
            .find(|m| m.slug.as_str() == "heap-bytes")
            .unwrap();
        assert_eq!(
            (heap.name.as_str(), heap.units.as_str()),
            ("Heap Bytes", "units")
        );
        let latency = parsed
            .measures
            .iter()
            .find(|m| m.slug.as_str() == "latency")
            .unwrap();
        assert_eq!(latency.units, "nanoseconds (ns)");
        assert_eq!(parsed.measures.len(), 2);
    }

    #[test]
    fn fold_keeps_one_iteration_and_job_measures_are_added() {
        let mut first = out(r#"{"a": {"latency": {"value": 10.0}}}"#);
        first.build_time = Some(("img".to_owned(), 2.0));
        first.file_sizes = vec![("out/bin".to_owned(), 100.0)];
        let mut second = out(r#"{"a": {"latency": {"value": 30.0}}}"#);
        second.build_time = Some(("img".to_owned(), 4.0));
        second.file_sizes = vec![("out/bin".to_owned(), 100.0)];
        let parsed =
            parse_outputs(json(Adapter::Json, Some(Fold::Mean)), &[first, second]).unwrap();
        let value = |b: &str, m: &str| {
            parsed
                .metrics
                .iter()
                .find(|x| x.benchmark == b && x.measure.as_str() == m)
                .map(|x| (x.iteration, x.value))
        };
        assert_eq!(value("a", "latency"), Some((0, 20.0)));
        assert_eq!(value("img", "build-time"), Some((0, 3.0)));
        assert_eq!(value("out/bin", "file-size"), Some((0, 100.0)));
        assert_eq!(parsed.metrics.len(), 3);
    }

    #[test]
    fn a_parse_failure_is_the_adapters_message_naming_the_iteration() {
        let good = out(r#"{"a": {"latency": {"value": 1.0}}}"#);
        let err =
            parse_outputs(json(Adapter::Json, None), &[good.clone(), out("not json")]).unwrap_err();
        assert!(err.starts_with("iteration 2: "), "{err}");
        assert!(err.contains("json"), "{err}");
        let single = parse_outputs(json(Adapter::Json, None), &[out("")]).unwrap_err();
        assert!(!single.starts_with("iteration"), "{single}");
        let magic = parse_outputs(json(Adapter::Magic, None), &[out("hello")]).unwrap_err();
        assert!(magic.contains("no adapter recognised"), "{magic}");
    }

    #[test]
    fn other_adapters_parse_too() {
        let go = "BenchmarkFib10-2   \t 3000000\t       412 ns/op\nPASS\n";
        let parsed = parse_outputs(json(Adapter::GoBench, None), &[out(go)]).unwrap();
        assert_eq!(parsed.metrics.len(), 1);
        assert_eq!(parsed.metrics[0].value, 412.0);
        assert_eq!(parsed.metrics[0].measure.as_str(), "latency");
    }
}
