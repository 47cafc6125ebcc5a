//! Report settings: which adapter parses the output and how iterations are combined.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ValidationError, truncate_for_message};

macro_rules! name_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident => $text:literal $(| $alias:literal)?,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(
                $(#[$vdoc])*
                #[serde(rename = $text $(, alias = $alias)?)]
                $variant,
            )+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in JSON and on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text $(| $alias)? => Ok($name::$variant),)+
                    _ => Err(ValidationError::invalid(
                        $what,
                        format!("unknown {} {:?}", $what, truncate_for_message(s)),
                    )),
                }
            }
        }
    };
}

name_enum!(
    /// The harness-output parser of a report, with Bencher's names. `magic` detects the format.
    Adapter, "adapter" {
        /// Detect the format from the output.
        Magic => "magic",
        /// Bencher Metric Format as it is.
        Json => "json",
        /// `cargo bench` with libtest.
        RustBench => "rust_bench",
        /// Criterion.rs.
        RustCriterion => "rust_criterion",
        /// Iai.
        RustIai => "rust_iai",
        /// Gungraun (formerly Iai-Callgrind; the old name is accepted).
        RustGungraun => "rust_gungraun" | "rust_iai_callgrind",
        /// Google Benchmark.
        CppGoogle => "cpp_google",
        /// Catch2.
        CppCatch2 => "cpp_catch2",
        /// `go test -bench`.
        GoBench => "go_bench",
        /// Java Microbenchmark Harness.
        JavaJmh => "java_jmh",
        /// BenchmarkDotNet.
        CSharpDotNet => "c_sharp_dot_net",
        /// Benchmark.js.
        JsBenchmark => "js_benchmark",
        /// `console.time`.
        JsTime => "js_time",
        /// Vitest bench.
        JsVitest => "js_vitest",
        /// airspeed velocity.
        PythonAsv => "python_asv",
        /// pytest-benchmark.
        PythonPytest => "python_pytest",
        /// Ruby Benchmark.
        RubyBenchmark => "ruby_benchmark",
        /// hyperfine.
        ShellHyperfine => "shell_hyperfine",
        /// Dart `benchmark_harness`.
        DartBenchmarkHarness => "dart_benchmark_harness",
    }
);

// The enum comes from `name_enum!`, which cannot place `#[default]` on one variant.
#[allow(clippy::derivable_impls)]
impl Default for Adapter {
    fn default() -> Self {
        Self::Magic
    }
}

name_enum!(
    /// Which of a harness's statistics becomes the metric value.
    Average, "average" {
        /// The mean.
        Mean => "mean",
        /// The median.
        Median => "median",
    }
);

name_enum!(
    /// How the results of several iterations fold into one.
    Fold, "fold" {
        /// The smallest value.
        Min => "min",
        /// The largest value.
        Max => "max",
        /// The mean of the values.
        Mean => "mean",
        /// The median of the values.
        Median => "median",
    }
);

/// A report's parsing settings (`settings` of a new run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonRunSettings {
    /// The adapter; `magic` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<Adapter>,
    /// The statistic to use as value, when the harness reports several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<Average>,
    /// How to fold iterations into one result; absent keeps every iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fold: Option<Fold>,
}

impl JsonRunSettings {
    /// The adapter to use.
    pub fn adapter(&self) -> Adapter {
        self.adapter.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_from_str() {
        for adapter in Adapter::ALL {
            let json = serde_json::to_string(adapter).unwrap();
            assert_eq!(json, format!("\"{adapter}\""));
            assert_eq!(adapter.as_str().parse::<Adapter>().unwrap(), *adapter);
        }
        assert_eq!(Adapter::ALL.len(), 19);
        assert_eq!(Fold::ALL.len(), 4);
    }

    #[test]
    fn the_old_gungraun_name_is_accepted() {
        let a: Adapter = serde_json::from_str("\"rust_iai_callgrind\"").unwrap();
        assert_eq!(a, Adapter::RustGungraun);
        assert_eq!("rust_iai_callgrind".parse::<Adapter>().unwrap(), a);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"rust_gungraun\"");
    }

    #[test]
    fn unknown_names_are_refused_naming_the_field() {
        let err = "rust_bananas".parse::<Adapter>().unwrap_err().to_string();
        assert!(err.starts_with("invalid adapter"), "{err}");
        assert!(serde_json::from_str::<Fold>("\"avg\"").is_err());
        assert_eq!(JsonRunSettings::default().adapter(), Adapter::Magic);
    }
}
