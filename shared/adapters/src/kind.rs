//! Adapter names, averages and folds, spelled as Bencher spells them on the command line.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! adapter_kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal $(| $alias:literal)*,)*) => {
        /// Which harness produced the output (Bencher's `--adapter` names).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum AdapterKind {
            /// Try the adapters in [`AdapterKind::MAGIC_ORDER`] and take the first that parses.
            #[default]
            Magic,
            $($(#[$doc])* $(#[serde(alias = $alias)])* $variant,)*
        }

        impl AdapterKind {
            /// Every adapter, `magic` first.
            pub const ALL: &'static [AdapterKind] = &[AdapterKind::Magic, $(AdapterKind::$variant,)*];

            /// The name as used by `--adapter`.
            pub fn as_str(self) -> &'static str {
                match self {
                    AdapterKind::Magic => "magic",
                    $(AdapterKind::$variant => $name,)*
                }
            }
        }

        impl FromStr for AdapterKind {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    "magic" => Ok(AdapterKind::Magic),
                    $($name $(| $alias)* => Ok(AdapterKind::$variant),)*
                    _ => Err(UnknownName::new("adapter", s, "magic, json, rust_criterion, go_bench, ...")),
                }
            }
        }
    };
}

adapter_kinds! {
    /// Bencher Metric Format itself.
    Json => "json",
    /// BenchmarkDotNet JSON.
    CSharpDotNet => "c_sharp_dot_net",
    /// Catch2 console benchmark tables.
    CppCatch2 => "cpp_catch2",
    /// Google Benchmark JSON.
    CppGoogle => "cpp_google",
    /// `go test -bench` lines.
    GoBench => "go_bench",
    /// JMH JSON (`-rf json`).
    JavaJmh => "java_jmh",
    /// benchmark.js lines.
    JsBenchmark => "js_benchmark",
    /// `console.time` / `console.timeEnd` lines.
    JsTime => "js_time",
    /// vitest bench JSON (`--outputJson`).
    JsVitest => "js_vitest",
    /// airspeed velocity `asv run` output.
    PythonAsv => "python_asv",
    /// pytest-benchmark JSON (`--benchmark-json`).
    PythonPytest => "python_pytest",
    /// Ruby `Benchmark` tables.
    RubyBenchmark => "ruby_benchmark",
    /// libtest `#[bench]` lines.
    RustBench => "rust_bench",
    /// Criterion.rs console output.
    RustCriterion => "rust_criterion",
    /// iai console output.
    RustIai => "rust_iai",
    /// Gungraun (formerly iai-callgrind) console output.
    RustGungraun => "rust_gungraun" | "rust_iai_callgrind",
    /// hyperfine `--export-json`.
    ShellHyperfine => "shell_hyperfine",
    /// Dart `benchmark_harness` lines.
    DartBenchmarkHarness => "dart_benchmark_harness",
}

impl AdapterKind {
    /// The order `magic` tries: JSON formats first (cheap to refuse, never ambiguous), then
    /// line formats from the most to the least distinctive.
    pub const MAGIC_ORDER: &'static [AdapterKind] = &[
        AdapterKind::Json,
        AdapterKind::CSharpDotNet,
        AdapterKind::CppGoogle,
        AdapterKind::JavaJmh,
        AdapterKind::JsVitest,
        AdapterKind::PythonPytest,
        AdapterKind::ShellHyperfine,
        AdapterKind::CppCatch2,
        AdapterKind::GoBench,
        AdapterKind::JsBenchmark,
        AdapterKind::PythonAsv,
        AdapterKind::RubyBenchmark,
        AdapterKind::RustBench,
        AdapterKind::RustCriterion,
        AdapterKind::RustIai,
        AdapterKind::RustGungraun,
        AdapterKind::DartBenchmarkHarness,
        AdapterKind::JsTime,
    ];
}

impl fmt::Display for AdapterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: use one of {allowed}")]
pub struct UnknownName {
    /// What was being named.
    pub what: &'static str,
    /// The text given (truncated).
    pub value: String,
    /// The allowed names.
    pub allowed: &'static str,
}

impl UnknownName {
    fn new(what: &'static str, value: &str, allowed: &'static str) -> Self {
        Self {
            what,
            value: crate::error::truncate(value),
            allowed,
        }
    }
}

/// Which statistic to report when the tool reports several (`--average`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Average {
    /// The arithmetic mean, with ± one standard deviation where reported.
    Mean,
    /// The median, with ± the interquartile range where reported.
    Median,
}

impl fmt::Display for Average {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Average::Mean => "mean",
            Average::Median => "median",
        })
    }
}

impl FromStr for Average {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mean" => Ok(Average::Mean),
            "median" => Ok(Average::Median),
            _ => Err(UnknownName::new("average", s, "mean, median")),
        }
    }
}

/// How to collapse the results of several iterations into one (`--fold`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fold {
    /// The smallest value (with its own bounds).
    Min,
    /// The largest value (with its own bounds).
    Max,
    /// The mean of values, of lower bounds and of upper bounds.
    Mean,
    /// The median of values, of lower bounds and of upper bounds.
    Median,
}

impl fmt::Display for Fold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fold::Min => "min",
            Fold::Max => "max",
            Fold::Mean => "mean",
            Fold::Median => "median",
        })
    }
}

impl FromStr for Fold {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "min" => Ok(Fold::Min),
            "max" => Ok(Fold::Max),
            "mean" => Ok(Fold::Mean),
            "median" => Ok(Fold::Median),
            _ => Err(UnknownName::new("fold", s, "min, max, mean, median")),
        }
    }
}

/// Adapter settings from the run (`settings.average`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The statistic to report; `None` takes each adapter's default (the mean where it has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<Average>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_alias_maps_to_gungraun() {
        for kind in AdapterKind::ALL {
            assert_eq!(kind.as_str().parse::<AdapterKind>().unwrap(), *kind);
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert_eq!(
            "rust_iai_callgrind".parse::<AdapterKind>().unwrap(),
            AdapterKind::RustGungraun
        );
        let kind: AdapterKind = serde_json::from_str("\"rust_iai_callgrind\"").unwrap();
        assert_eq!(kind, AdapterKind::RustGungraun);
        let err = "criterion".parse::<AdapterKind>().unwrap_err().to_string();
        assert!(err.contains("\"criterion\""), "{err}");
    }

    #[test]
    fn magic_order_holds_every_adapter_once() {
        let mut order = AdapterKind::MAGIC_ORDER.to_vec();
        order.sort_by_key(|k| k.as_str());
        order.dedup();
        assert_eq!(order.len(), AdapterKind::ALL.len() - 1);
        assert!(!order.contains(&AdapterKind::Magic));
    }

    #[test]
    fn averages_and_folds_parse() {
        assert_eq!("median".parse::<Average>().unwrap(), Average::Median);
        assert!("avg".parse::<Average>().is_err());
        for fold in [Fold::Min, Fold::Max, Fold::Mean, Fold::Median] {
            assert_eq!(fold.to_string().parse::<Fold>().unwrap(), fold);
        }
    }
}
