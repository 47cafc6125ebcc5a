//! Property tests: no input makes any adapter panic, and a BMF document survives the `json`
//! adapter unchanged.

use bencher_adapters::{Adapter, Average, Bmf, JsonMetric, Settings, adapt};
use proptest::prelude::*;

/// Fragments of every format, so generated inputs reach deep into the parsers.
const FRAGMENTS: &[&str] = &[
    "test ",
    " ... bench:",
    " ns/iter",
    " (+/- ",
    ")",
    " = 12 MB/s",
    "time:",
    "thrpt:",
    "[",
    "]",
    " ns",
    " µs",
    " ms",
    " s",
    " ps",
    "Gelem/s",
    "\n",
    "  ",
    "Instructions:",
    "L1 Hits:",
    "|N/A",
    "::",
    "Benchmark",
    " ns/op",
    " x ",
    " ops/sec ±",
    "% (",
    "··· ",
    "±",
    "μs",
    " ok",
    "======",
    "------",
    "benchmark name",
    "-------------------------------------------------------------------------------",
    "user     system      total        real",
    "(RunTime): ",
    " us.",
    ": ",
    "ms",
    " (m:ss.mmm)",
    "[7ms] ",
    "{",
    "}",
    "\"",
    ",",
    "NaN",
    "Infinity",
    "-",
    "1,234",
    "0.5",
    "1e308",
    "e",
    "\x1b[1m",
    "\r\n",
    "{\"benchmarks\":[",
    "{\"results\":[",
    "{\"files\":[",
    "\"value\":",
    "\"stats\":{",
];

fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|v| v.concat())
}

fn settings() -> impl Strategy<Value = Settings> {
    prop::option::of(prop_oneof![Just(Average::Mean), Just(Average::Median)])
        .prop_map(|average| Settings { average })
}

fn check_all(input: &str, settings: Settings) {
    for &kind in Adapter::ALL {
        if let Ok(bmf) = adapt(kind, settings, input) {
            // Whatever an adapter accepts is valid BMF with finite values.
            assert!(bmf.validate().is_ok(), "{kind} accepted invalid BMF");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(input in any::<String>(), settings in settings()) {
        check_all(&input, settings);
    }

    #[test]
    fn format_fragments_never_panic(input in fragments(), settings in settings()) {
        check_all(&input, settings);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_all(&String::from_utf8_lossy(&bytes), Settings::default());
    }

    #[test]
    fn bmf_round_trips_through_the_json_adapter(
        entries in prop::collection::btree_map(
            "[^\u{0}]{0,12}[a-zA-Zµ日/: ][^\u{0}]{0,12}",
            prop::collection::btree_map(
                "[a-z][a-z0-9-]{0,15}",
                (-1e12f64..1e12, prop::option::of(-1e12f64..1e12), prop::option::of(-1e12f64..1e12)),
                1..4,
            ),
            1..6,
        )
    ) {
        let mut bmf = Bmf::default();
        for (name, measures) in entries {
            for (measure, (value, lower_value, upper_value)) in measures {
                bmf.insert(name.clone(), &measure, JsonMetric { value, lower_value, upper_value });
            }
        }
        prop_assume!(bmf.0.keys().all(|k| !k.trim().is_empty()));
        let json = serde_json::to_string(&bmf).unwrap();
        let parsed = adapt(Adapter::Json, Settings::default(), &json).unwrap();
        prop_assert_eq!(&parsed, &bmf);
        let magic = adapt(Adapter::Magic, Settings::default(), &json).unwrap();
        prop_assert_eq!(magic, bmf);
    }
}
