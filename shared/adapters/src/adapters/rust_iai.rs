//! `rust_iai`: iai's blocks, a benchmark name on its own line followed by indented
//! `Instructions:`, `L1 Accesses:`, `L2 Accesses:`, `RAM Accesses:` and `Estimated Cycles:`
//! lines (each optionally followed by the change since the last run).

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Settings};
use crate::measure::{ESTIMATED_CYCLES, INSTRUCTIONS, L1_ACCESSES, L2_ACCESSES, RAM_ACCESSES};
use crate::text::{number, strip_ansi};

const KIND: Adapter = Adapter::RustIai;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[], "iai counts one run")?;
    let input = strip_ansi(input);
    let mut bmf = Collector::default();
    let mut current: Option<&str> = None;
    for line in input.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            current = Some(line.trim_end());
            continue;
        }
        let (Some(name), Some((key, rest))) = (current, line.trim().split_once(':')) else {
            continue;
        };
        let measure = match key {
            "Instructions" => INSTRUCTIONS,
            "L1 Accesses" => L1_ACCESSES,
            "L2 Accesses" => L2_ACCESSES,
            "RAM Accesses" => RAM_ACCESSES,
            "Estimated Cycles" => ESTIMATED_CYCLES,
            _ => continue,
        };
        let rest = rest.trim();
        let (value, change) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let change = change.trim();
        if !(change.is_empty() || change.starts_with('(') && change.ends_with(')')) {
            continue;
        }
        if let Some(value) = number(value) {
            bmf.insert(name, measure, JsonMetric::new(value));
        }
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_with_and_without_changes() {
        let input = "bench_fib short\n  Instructions:                1735\n  L1 Accesses:                 2364\n\
            \x20 L2 Accesses:                    1\n  RAM Accesses:                   3\n\
            \x20 Estimated Cycles:            2484\n\niai_long\n  Instructions:   26214 (No change)\n\
            \x20 Estimated Cycles:   35000 (+0.0012%)\n";
        let bmf = parse(input, Settings::default()).unwrap();
        assert_eq!(bmf.0["bench_fib short"].len(), 5);
        assert_eq!(bmf.0["bench_fib short"][RAM_ACCESSES].value, 3.0);
        assert_eq!(bmf.0["iai_long"][ESTIMATED_CYCLES].value, 35000.0);
    }

    #[test]
    fn gungraun_lines_are_not_iai() {
        let input = "a::b::c\n  Instructions:     1734|N/A    (*********)\n";
        assert!(parse(input, Settings::default()).unwrap().0.is_empty());
    }
}
