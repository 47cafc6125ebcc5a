//! One module per tool. Each `parse` returns every benchmark it recognises (an empty document
//! when there is none), gathered with `crate::collect::Collector`, which rounds and checks
//! them (`json` alone is checked by [`crate::adapt`]); [`crate::adapt`] refuses an empty one.

mod c_sharp_dot_net;
mod cpp_catch2;
mod cpp_google;
mod dart_benchmark_harness;
mod go_bench;
mod java_jmh;
mod js_benchmark;
mod js_time;
mod js_vitest;
mod json;
mod python_asv;
mod python_pytest;
mod ruby_benchmark;
mod rust_bench;
mod rust_criterion;
mod rust_gungraun;
mod rust_iai;
mod shell_hyperfine;

use bencher_wire::bmf::Bmf;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::text::json_non_finite_quoted;

/// Run the adapter for `kind` (not `magic`).
pub(crate) fn parse(kind: Adapter, settings: Settings, input: &str) -> Result<Bmf, AdaptError> {
    match kind {
        Adapter::Magic => Err(AdaptError::NoResults { adapter: kind }),
        Adapter::Json => json::parse(input),
        Adapter::CSharpDotNet => c_sharp_dot_net::parse(input, settings),
        Adapter::CppCatch2 => cpp_catch2::parse(input, settings),
        Adapter::CppGoogle => cpp_google::parse(input, settings),
        Adapter::GoBench => go_bench::parse(input, settings),
        Adapter::JavaJmh => java_jmh::parse(input, settings),
        Adapter::JsBenchmark => js_benchmark::parse(input, settings),
        Adapter::JsTime => js_time::parse(input, settings),
        Adapter::JsVitest => js_vitest::parse(input, settings),
        Adapter::PythonAsv => python_asv::parse(input, settings),
        Adapter::PythonPytest => python_pytest::parse(input, settings),
        Adapter::RubyBenchmark => ruby_benchmark::parse(input, settings),
        Adapter::RustBench => rust_bench::parse(input, settings),
        Adapter::RustCriterion => rust_criterion::parse(input, settings),
        Adapter::RustIai => rust_iai::parse(input, settings),
        Adapter::RustGungraun => rust_gungraun::parse(input, settings),
        Adapter::ShellHyperfine => shell_hyperfine::parse(input, settings),
        Adapter::DartBenchmarkHarness => dart_benchmark_harness::parse(input, settings),
    }
}

/// Refuse an explicit average the tool does not report (`honoured` lists those it does).
pub(crate) fn check_average(
    adapter: Adapter,
    settings: Settings,
    honoured: &[Average],
    reason: &'static str,
) -> Result<(), AdaptError> {
    match settings.average {
        Some(average) if !honoured.contains(&average) => Err(AdaptError::UnsupportedAverage {
            adapter,
            average,
            reason,
        }),
        _ => Ok(()),
    }
}

/// Deserialize a JSON document, after quoting bare `NaN`/`Infinity` (read by [`lenient_f64`]).
pub(crate) fn from_json<T: DeserializeOwned>(
    adapter: Adapter,
    input: &str,
) -> Result<T, AdaptError> {
    let input = input.trim();
    // Every document an adapter reads is an object or an array: anything else is refused at
    // its first byte, without the quoting pass over the whole input (`magic` tries six JSON
    // adapters on every line-based output).
    let input = if input.starts_with(['{', '[']) {
        json_non_finite_quoted(input)
    } else {
        input.into()
    };
    serde_json::from_str(&input).map_err(|source| AdaptError::Json { adapter, source })
}

/// A required number from a JSON field: `null`, missing, NaN or infinite is refused naming
/// `benchmark` and `field`.
pub(crate) fn required(
    value: Option<f64>,
    benchmark: &str,
    field: &str,
) -> Result<f64, AdaptError> {
    value
        .filter(|v| v.is_finite())
        .ok_or_else(|| crate::error::non_finite(benchmark, field))
}

/// A JSON number, or one of the non-finite spellings as a string (`"NaN"`, `"Infinity"`,
/// `"-Infinity"`), as JMH writes statistics it could not compute and as [`from_json`] rewrites
/// Python's bare tokens; the non-finite value is then refused naming its benchmark. `null` or
/// missing is `None`.
pub(crate) fn lenient_f64<'de, D>(deserializer: D) -> Result<Option<f64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Number {
        Float(f64),
        Text(String),
    }
    match Option::<Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Number::Float(v)) => Ok(Some(v)),
        Some(Number::Text(s)) => s.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("{:?} is not a number", crate::error::truncate(&s)))
        }),
    }
}
