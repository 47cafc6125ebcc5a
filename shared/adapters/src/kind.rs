//! Adapter names, averages and folds: the wire's enums (`bencher_wire::json`), which spell them
//! as Bencher does on the command line, plus the order `magic` tries the adapters in.

use serde::{Deserialize, Serialize};

pub use bencher_wire::json::{Adapter, Average, Fold};

/// The former name of [`Adapter`] in this crate, kept so callers need not change.
pub type AdapterKind = Adapter;

/// The order `magic` tries: JSON formats first (cheap to refuse, never ambiguous), then
/// line formats from the most to the least distinctive.
pub const MAGIC_ORDER: &[Adapter] = &[
    Adapter::Json,
    Adapter::CSharpDotNet,
    Adapter::CppGoogle,
    Adapter::JavaJmh,
    Adapter::JsVitest,
    Adapter::PythonPytest,
    Adapter::ShellHyperfine,
    Adapter::CppCatch2,
    Adapter::GoBench,
    Adapter::JsBenchmark,
    Adapter::PythonAsv,
    Adapter::RubyBenchmark,
    Adapter::RustBench,
    Adapter::RustCriterion,
    Adapter::RustIai,
    Adapter::RustGungraun,
    Adapter::DartBenchmarkHarness,
    Adapter::JsTime,
];

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
    fn magic_order_holds_every_adapter_but_magic_once() {
        let mut order = MAGIC_ORDER.to_vec();
        order.sort_by_key(|k| k.as_str());
        order.dedup();
        assert_eq!(order.len(), MAGIC_ORDER.len());
        assert_eq!(order.len(), Adapter::ALL.len() - 1);
        assert!(!order.contains(&Adapter::Magic));
    }

    #[test]
    fn names_are_bencher_names_and_the_old_gungraun_name_is_accepted() {
        assert_eq!(
            "rust_iai_callgrind".parse::<Adapter>().unwrap(),
            Adapter::RustGungraun
        );
        let err = "criterion".parse::<Adapter>().unwrap_err().to_string();
        assert!(err.contains("\"criterion\""), "{err}");
        assert_eq!("median".parse::<Average>().unwrap(), Average::Median);
        assert!("avg".parse::<Average>().is_err());
        for fold in Fold::ALL {
            assert_eq!(fold.to_string().parse::<Fold>().unwrap(), *fold);
        }
    }
}
