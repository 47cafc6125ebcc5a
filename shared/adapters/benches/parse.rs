//! Parsing speed of every adapter on generated 5 MB and 50 MB outputs, in MB/s; run with
//! `cargo bench -p bencher-adapters [-- WORD ...]` (only the rows whose label has a WORD).
//!
//! Time is the parsing thread's own time on a CPU (`/proc/thread-self/schedstat`, page faults
//! included), so that other processes on a shared machine do not count; where that file is
//! missing, wall-clock time.

use std::fmt::Write as _;
use std::time::Instant;

use bencher_adapters::{AdaptError, Adapter, MAGIC_ORDER, Settings, adapt};

/// One benchmark's worth of output for `kind`, numbered `i`.
fn unit(kind: Adapter, i: usize, out: &mut String) {
    let _ = match kind {
        Adapter::Json => write!(
            out,
            r#""bench {i}": {{"latency": {{"value": {i}.5, "lower_value": {i}.25, "upper_value": {i}.75}}}},"#
        ),
        Adapter::RustBench => {
            writeln!(
                out,
                "test bench::fib_{i} ... bench:      1,234.56 ns/iter (+/- 12.30)"
            )
        }
        Adapter::RustCriterion => writeln!(
            out,
            "fib {i}                  time:   [110.08 ns 112.11 ns 117.04 ns]\n                        change: [-1.2% +0.3% +1.5%] (p = 0.53 > 0.05)"
        ),
        Adapter::RustIai => writeln!(
            out,
            "iai_fib_{i}\n  Instructions:                1806\n  L1 Accesses:                 2578\n  L2 Accesses:                    1\n  RAM Accesses:                   3\n  Estimated Cycles:            2688\n"
        ),
        Adapter::RustGungraun => writeln!(
            out,
            "gg::group::bench_fib case:({i})\n  Instructions:        1802|1802     (No change)\n  L1 Hits:             2572|2572     (No change)\n  LL Hits:                1|1        (No change)\n  RAM Hits:               2|2        (No change)\n  Total read+write:    2575|2575     (No change)\n  Estimated Cycles:    2647|2647     (No change)"
        ),
        Adapter::CppGoogle => write!(
            out,
            r#"{{"name": "BM_Fib/{i}", "run_name": "BM_Fib/{i}", "run_type": "iteration", "repetitions": 1, "iterations": 1790446, "real_time": 3.8611972659330419e+01, "cpu_time": 3.86e+01, "time_unit": "ns"}},"#
        ),
        Adapter::CppCatch2 => writeln!(
            out,
            "Fibonacci {i}                                    20           730      452.6 us \n                                        27.6656 ns    27.6454 ns     27.726 ns \n                                      0.0731382 ns  0.0246213 ns   0.141562 ns \n"
        ),
        Adapter::GoBench => {
            writeln!(
                out,
                "BenchmarkFib{i}-2   \t 1000000\t       347.8 ns/op\t     104 B/op\t       2 allocs/op"
            )
        }
        Adapter::JavaJmh => write!(
            out,
            r#"{{"benchmark": "org.sample.B.m{i}", "mode": "avgt", "params": {{"n": "{i}"}}, "primaryMetric": {{"score": 0.258, "scoreError": 0.004, "scoreConfidence": [0.254, 0.262], "scorePercentiles": {{"50.0": 0.258}}, "scoreUnit": "us/op"}}, "secondaryMetrics": {{}}}},"#
        ),
        Adapter::CSharpDotNet => write!(
            out,
            r#"{{"FullName": "Ns.Type.M{i}", "Statistics": {{"Mean": 113.02, "Median": 112.75, "StandardDeviation": 1.87, "InterquartileRange": 1.9}}}},"#
        ),
        Adapter::JsBenchmark => {
            writeln!(
                out,
                "fib({i}) x 1,358,773 ops/sec ±10.91% (47 runs sampled)"
            )
        }
        Adapter::JsTime => writeln!(out, "fib {i}: 13.356ms"),
        Adapter::JsVitest => write!(
            out,
            r#"{{"name": "fib({i})", "rank": 1, "rme": 0.53, "samples": [], "hz": 1085627.65, "mean": 0.00092, "sd": 0.00037, "median": 0.0009}},"#
        ),
        Adapter::PythonAsv => {
            writeln!(
                out,
                "[50.00%] ··· bench.TimeSuite.time_{i}                         4.74±0.1μs"
            )
        }
        Adapter::PythonPytest => write!(
            out,
            r#"{{"name": "test_{i}", "fullname": "t.py::test_{i}", "stats": {{"min": 1e-5, "max": 2e-5, "mean": 1.2e-5, "stddev": 1e-6, "median": 1.1e-5, "iqr": 2e-6}}}},"#
        ),
        Adapter::RubyBenchmark => {
            writeln!(
                out,
                "label {i}   0.009027   0.000266   0.009293 (  0.021192)"
            )
        }
        Adapter::ShellHyperfine => write!(
            out,
            r#"{{"command": "sleep {i}", "mean": 0.0226, "stddev": 0.0029, "median": 0.0235, "min": 0.0187, "max": 0.0259}},"#
        ),
        Adapter::DartBenchmarkHarness => {
            writeln!(out, "Fib {i}(RunTime): 41.73562186279298 us.")
        }
        // Output no adapter recognises: `magic`'s worst case, every adapter reads it all.
        Adapter::Magic => writeln!(out, "step {i}: compiled 12 files in 3 passes (ok)"),
    };
}

fn generate(kind: Adapter, size: usize) -> String {
    let (open, close) = match kind {
        Adapter::Json => ("{", "}"),
        Adapter::CppGoogle | Adapter::PythonPytest => ("{\"benchmarks\": [", "]}"),
        Adapter::JavaJmh => ("[", "]"),
        Adapter::CSharpDotNet => ("{\"Benchmarks\": [", "]}"),
        Adapter::JsVitest => (
            "{\"files\": [{\"groups\": [{\"fullName\": \"f > g\", \"benchmarks\": [",
            "]}]}]}",
        ),
        Adapter::ShellHyperfine => ("{\"results\": [", "]}"),
        Adapter::CppCatch2 => (
            "-------------------------------------------------------------------------------\nFibonacci\n-------------------------------------------------------------------------------\nt.cpp:11\n...............................................................................\n\nbenchmark name                       samples       iterations    estimated\n                                     mean          low mean      high mean\n                                     std dev       low std dev   high std dev\n-------------------------------------------------------------------------------\n",
            "",
        ),
        Adapter::RubyBenchmark => ("              user     system      total        real\n", ""),
        _ => ("", ""),
    };
    let mut out = String::with_capacity(size + 4096);
    out.push_str(open);
    let mut i = 0;
    while out.len() < size {
        unit(kind, i, &mut out);
        i += 1;
    }
    if close.starts_with(']') || close.starts_with('}') {
        // Drop the trailing comma of the last element.
        out.pop();
    }
    out.push_str(close);
    out
}

/// Nanoseconds this thread has spent on a CPU, if the kernel says.
fn cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Seconds `f` takes: on-CPU time where known, else wall-clock time.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let (cpu, wall) = (cpu_nanos(), Instant::now());
    let out = f();
    let secs = match (cpu, cpu_nanos()) {
        (Some(start), Some(end)) => end.saturating_sub(start) as f64 / 1e9,
        _ => wall.elapsed().as_secs_f64(),
    };
    (secs, out)
}

/// Parse `input` `RUNS` times and keep the fastest run. A run parses a small input as many
/// times as it takes to read 50 MB, keeping every result until the run's time is taken: the
/// clock ticks are coarse, and each size then writes its results to fresh memory, as one
/// parse of a large output does. The count is the benchmarks found, or the error.
fn mb_per_s(kind: Adapter, input: &str) -> (f64, String) {
    const RUNS: usize = 3;
    let reps = (50_000_000 / input.len().max(1)).max(1);
    let mut best = f64::INFINITY;
    let mut count = String::new();
    for _ in 0..RUNS {
        let (secs, parsed) = timed(|| {
            (0..reps)
                .map(|_| adapt(kind, Settings::default(), input))
                .collect::<Vec<_>>()
        });
        best = best.min(secs / reps as f64);
        count = match parsed.into_iter().next() {
            Some(Ok(bmf)) => bmf.0.len().to_string(),
            Some(Err(AdaptError::Unrecognised { .. })) => "unrecognised".to_owned(),
            Some(Err(e)) => format!("error: {e}"),
            None => String::new(),
        };
    }
    (input.len() as f64 / 1e6 / best, count)
}

fn main() {
    // Cargo also passes `--bench`, skipped.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    println!(
        "{:<24} {:>12} {:>12} {:>12}",
        "adapter", "5 MB (MB/s)", "50 MB (MB/s)", "benchmarks"
    );
    let mut rows: Vec<(String, Adapter, Adapter)> =
        MAGIC_ORDER.iter().map(|&k| (k.to_string(), k, k)).collect();
    // magic's worst cases: the last line format it tries, the last JSON format it tries (the
    // JSON adapters before it read the whole document), and output nothing recognises.
    rows.extend([
        (
            "magic (js_time input)".to_owned(),
            Adapter::Magic,
            Adapter::JsTime,
        ),
        (
            "magic (hyperfine input)".to_owned(),
            Adapter::Magic,
            Adapter::ShellHyperfine,
        ),
        (
            "magic (unrecognised)".to_owned(),
            Adapter::Magic,
            Adapter::Magic,
        ),
    ]);
    for (label, kind, input_kind) in rows {
        if !filters.is_empty() && !filters.iter().any(|f| label.contains(f.as_str())) {
            continue;
        }
        let small = generate(input_kind, 5_000_000);
        let (small_rate, _) = mb_per_s(kind, &small);
        drop(small);
        let large = generate(input_kind, 50_000_000);
        let (large_rate, count) = mb_per_s(kind, &large);
        println!("{label:<24} {small_rate:>12.1} {large_rate:>12.1} {count:>12}");
    }
}
