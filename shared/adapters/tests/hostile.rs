//! Hostile input: empty, binary, gigantic and adversarial lines, NaN and Infinity. No adapter
//! panics, every one answers in linear time, and non-finite values are refused naming the
//! benchmark.

use std::time::{Duration, Instant};

use bencher_adapters::{AdaptError, Adapter, Settings, adapt};

#[test]
fn empty_and_binary_input_is_refused_with_a_message() {
    for &kind in Adapter::ALL {
        for input in [
            "",
            "\n\n",
            "\u{0}\u{1}\u{fffd}\u{fffd}PNG\r\n\u{1a}",
            "{}",
            "[]",
        ] {
            let err = adapt(kind, Settings::default(), input).unwrap_err();
            let message = err.to_string();
            assert!(!message.is_empty());
            if kind == Adapter::Magic {
                assert!(
                    matches!(err, AdaptError::Unrecognised { .. }),
                    "{kind}: {err}"
                );
                assert!(message.contains("rust_criterion"), "{message}");
            }
        }
    }
}

/// One line of about `len` bytes repeating `unit`.
fn line_of(unit: &str, len: usize) -> String {
    unit.repeat(len / unit.len() + 1)
}

#[test]
fn gigantic_adversarial_lines_take_linear_time() {
    const LEN: usize = 1 << 20;
    let units = [
        "a",
        "test a ... bench:",
        " ... bench: 1 ns/iter (+/- ",
        "time:   [",
        "name x 1 ops/sec ±",
        " x ",
        "··· ",
        "±1ms ",
        ": ",
        "(RunTime): ",
        "[1ms] ",
        "::",
        "Benchmark 1 ",
        "1,",
        "\x1b[",
        "0.1 0.1 0.1 (",
        "[",
        "{\"a\":",
        "\"\\\"",
        "NaN",
    ];
    for unit in units {
        let input = line_of(unit, LEN);
        for &kind in Adapter::ALL {
            let start = Instant::now();
            let _ = adapt(kind, Settings::default(), &input);
            let elapsed = start.elapsed();
            // A quadratic parser needs ~10^12 steps here; a linear one, milliseconds.
            assert!(
                elapsed < Duration::from_secs(5),
                "{kind} on {unit:?}: {elapsed:?}"
            );
        }
    }
}

#[test]
fn many_lines_and_deep_json_do_not_panic() {
    let lines = "fib 10                  time:   [1 ns 2 ns 3 ns]\n".repeat(50_000);
    let bmf = adapt(Adapter::Magic, Settings::default(), &lines).unwrap();
    assert_eq!(bmf.0.len(), 1);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for &kind in Adapter::ALL {
        assert!(adapt(kind, Settings::default(), &deep).is_err());
    }
}

#[test]
fn non_finite_values_are_refused_naming_the_benchmark() {
    let cases = [
        (
            Adapter::Json,
            r#"{"fib 20": {"latency": {"value": Infinity}}}"#,
        ),
        (
            Adapter::Json,
            r#"{"fib 20": {"latency": {"value": 1, "upper_value": NaN}}}"#,
        ),
        (
            Adapter::RustBench,
            "test fib 20 ... bench: NaN ns/iter (+/- 1)",
        ),
        (
            Adapter::RustCriterion,
            "fib 20   time:   [1 ns inf ns 3 ns]",
        ),
        (Adapter::GoBench, "BenchmarkFib_20-2 20 NaN ns/op"),
        (
            Adapter::JsBenchmark,
            "fib 20 x Infinity ops/sec ±1.0% (9 runs sampled)",
        ),
        (Adapter::JsTime, "fib 20: NaNms"),
        (Adapter::PythonAsv, "[ 1%] ··· fib_20    NaN±1ms"),
        (
            Adapter::RubyBenchmark,
            "  user system total real\nfib 20  1.0 0.0 1.0 ( NaN)",
        ),
        (Adapter::DartBenchmarkHarness, "fib 20(RunTime): inf us."),
        (Adapter::RustIai, "fib 20\n  Instructions:   NaN"),
        (
            Adapter::RustGungraun,
            "a::b::fib 20\n  Instructions:   NaN|N/A  (*********)",
        ),
        (
            Adapter::ShellHyperfine,
            r#"{"results": [{"command": "fib 20", "mean": NaN}]}"#,
        ),
        (
            Adapter::JavaJmh,
            r#"[{"benchmark": "fib 20", "primaryMetric": {"score": "NaN", "scoreUnit": "ns/op"}}]"#,
        ),
        // Finite in the tool's units, infinite in nanoseconds.
        (
            Adapter::ShellHyperfine,
            r#"{"results": [{"command": "fib 20", "mean": 1e300, "stddev": 1}]}"#,
        ),
    ];
    for (kind, input) in cases {
        let err = adapt(kind, Settings::default(), input)
            .map(|bmf| format!("{bmf:?}"))
            .expect_err(input);
        assert!(matches!(err, AdaptError::NonFinite { .. }), "{kind}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("ib 20") || message.contains("ib_20"),
            "{kind}: {message}"
        );
        // magic keeps looking, then reports what it found.
        let magic = adapt(Adapter::Magic, Settings::default(), input).unwrap_err();
        assert!(
            matches!(magic, AdaptError::NonFinite { .. }),
            "magic on {kind}: {magic}"
        );
    }
}

#[test]
fn an_unsupported_average_fails_explicitly_and_magic_moves_on() {
    let go = "BenchmarkFib10-2   1000000   347.8 ns/op\n";
    let median = Settings {
        average: Some(bencher_adapters::Average::Median),
    };
    let err = adapt(Adapter::GoBench, median, go).unwrap_err();
    assert!(
        err.to_string().contains("cannot report the median"),
        "{err}"
    );
    assert!(matches!(
        adapt(Adapter::Magic, median, go),
        Err(AdaptError::Unrecognised { .. })
    ));
    // rust_bench honours the median: magic finds it.
    let libtest = "test fib ... bench:  1,234 ns/iter (+/- 5)\n";
    assert_eq!(adapt(Adapter::Magic, median, libtest).unwrap().0.len(), 1);
}
