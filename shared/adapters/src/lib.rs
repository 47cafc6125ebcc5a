//! Harness output parsers to Bencher Metric Format (BMF). Pure, no I/O.
//!
//! [`adapt`] turns one iteration's raw output into a [`Bmf`] document; [`fold()`] collapses the
//! documents of several `--iter` iterations into one. [`built_in_measure`] lists the measures
//! adapters produce, with their units. Latency is in nanoseconds, throughput in operations per
//! second; every parser is hand-written, line by line or over serde, and linear in its input.
//!
//! Layout:
//! - [`kind`]: wire's `Adapter` (Bencher's `--adapter` names), `Average`, `Fold`; `MAGIC_ORDER`, `Settings`.
//! - [`measure`]: built-in measure slugs, names and units.
//! - [`error`]: `AdaptError`, written for the user.
//! - `adapters/`: one module per tool; `text`: numbers, units, ANSI codes; `collect`: results
//!   gathered in output order, sorted once into the document (linear-time parsing, one sort).
//! - [`fold()`]: `--fold min|max|mean|median`.
//!
//! # Where this differs from Bencher (v0.6.x), and why
//!
//! Most differences parse what the tools really print, or keep a result Bencher would drop;
//! each says why:
//! - `js_time`: Node's `console.timeEnd` prints `label: 7.263ms` (fractional, no
//!   `- timer ended`), `label: 1.002s` past a second and `label: 1:02.345 (m:ss.mmm)` past a
//!   minute; all are accepted, as is Bun's `[7.26ms] label`. The `- timer ended` suffix is optional.
//! - `cpp_catch2`: Catch2 wraps a benchmark name longer than its column over several lines;
//!   the whole name is kept (joined with single spaces), and so is a wrapped test case name.
//! - `rust_bench`: libtest appends `= N MB/s` when a benchmark sets `b.bytes`; the benchmark is
//!   kept. Names with spaces (criterion's `--output-format bencher`) are kept too.
//! - `rust_criterion`: a `thrpt:` line in elements/s also yields `throughput` (ops/s).
//! - `cpp_google`: Google Benchmark's JSON, as in Bencher, but without requiring `context`:
//!   with `--benchmark_repetitions` the `mean`/`median`/`stddev` aggregates give the value and
//!   bounds (and serve `--average`) instead of each repetition and aggregate becoming a
//!   benchmark of its own; `items_per_second` also yields `throughput`; errored runs are skipped.
//! - `java_jmh`: bounds are JMH's `scoreConfidence` (falling back to score ± error); a
//!   benchmark's `params` are appended as `name(k=v, ...)` so parameterised runs do not collide;
//!   `--average median` takes the 50th percentile.
//! - `python_asv`: a parameterised benchmark's table (`name   ok`, then one row per parameter
//!   combination) gives one benchmark per row, `name(p1, p2)` as `asv compare` names them;
//!   Bencher reads only single-line results and drops these.
//! - `magic` tries JSON formats first, then line formats from the most to the least
//!   distinctive ([`MAGIC_ORDER`]); Bencher goes language by language. Only an output two
//!   adapters both accept can tell the difference.
//! - Values converted from the tool's units are rounded to 15 significant digits, which drops
//!   the binary noise of the conversion (2.079 ms is 2079000 ns, not 2079000.0000000002); the
//!   digits beyond (Python's JSON writes 17) are below any timer's resolution. `json` values
//!   are kept bit for bit.
//! - JSON adapters accept the bare `NaN`/`Infinity` tokens Python writes and refuse the
//!   benchmark that holds one, by name, instead of refusing the whole document as unparsable.
//! - Lower bounds computed as value − spread are clamped at zero for latency and throughput.
//! - `--average`: an explicit average the tool cannot report is an error for that adapter
//!   (`magic` moves on), e.g. libtest reports medians only, go and benchmark.js means only.

mod adapters;
mod collect;
pub mod error;
pub mod fold;
pub mod kind;
pub mod measure;
mod text;

pub use bencher_wire::bmf::{Bmf, JsonMetric};
pub use error::AdaptError;
pub use fold::fold;
pub use kind::{Adapter, AdapterKind, Average, Fold, MAGIC_ORDER, Settings};
pub use measure::{MeasureInfo, built_in_measure};

/// Parse one iteration's output with `kind` (or, for `magic`, the first adapter in
/// [`MAGIC_ORDER`] that recognises it) into a validated BMF document.
pub fn adapt(kind: Adapter, settings: Settings, input: &str) -> Result<Bmf, AdaptError> {
    if kind != Adapter::Magic {
        return adapt_one(kind, settings, input);
    }
    let mut first_real_error = None;
    for &candidate in MAGIC_ORDER {
        match adapt_one(candidate, settings, input) {
            Ok(bmf) => return Ok(bmf),
            Err(
                AdaptError::NoResults { .. }
                | AdaptError::Json { .. }
                | AdaptError::UnsupportedAverage { .. },
            ) => {}
            Err(other) => {
                first_real_error.get_or_insert(other);
            }
        }
    }
    Err(
        first_real_error.unwrap_or_else(|| AdaptError::Unrecognised {
            tried: MAGIC_ORDER
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    )
}

fn adapt_one(kind: Adapter, settings: Settings, input: &str) -> Result<Bmf, AdaptError> {
    // Every adapter but `json` builds its document with `collect::Collector`, which rounds,
    // checks and validates it; `json` is the user's own data, checked here as given.
    let bmf = adapters::parse(kind, settings, input)?;
    if bmf.0.is_empty() {
        return Err(AdaptError::NoResults { adapter: kind });
    }
    if kind == Adapter::Json {
        for (benchmark, measures) in &bmf.0 {
            for (measure, metric) in measures {
                let values = [Some(metric.value), metric.lower_value, metric.upper_value];
                if values.into_iter().flatten().any(|v| !v.is_finite()) {
                    return Err(error::non_finite(benchmark, measure));
                }
            }
        }
        bmf.validate()?;
    }
    Ok(bmf)
}
