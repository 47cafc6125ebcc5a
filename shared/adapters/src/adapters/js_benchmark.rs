//! `js_benchmark`: benchmark.js lines, `name x 1,234 ops/sec ±1.2% (90 runs sampled)`;
//! throughput ± the relative margin of error (a mean).

use bencher_wire::bmf::Bmf;

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::THROUGHPUT;
use crate::text::{number, plus_minus, rsplit_once_str, strip_ansi};

const KIND: Adapter = Adapter::JsBenchmark;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(
        KIND,
        settings,
        &[Average::Mean],
        "benchmark.js reports the mean only",
    )?;
    let input = strip_ansi(input);
    let mut bmf = Collector::default();
    for line in input.lines() {
        let Some((head, tail)) = rsplit_once_str(line, " ops/sec ±") else {
            continue;
        };
        let Some((name, ops)) = rsplit_once_str(head, " x ") else {
            continue;
        };
        let Some((margin, runs)) = tail.split_once('%') else {
            continue;
        };
        if !runs.trim_start().starts_with('(') {
            continue;
        }
        let (Some(ops), Some(margin)) = (number(ops), number(margin)) else {
            continue;
        };
        let name = name.trim();
        if !name.is_empty() {
            bmf.insert(name, THROUGHPUT, plus_minus(ops, ops * margin / 100.0));
        }
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_x_and_separators() {
        let input = "fib x 10 x 1,234,567 ops/sec ±1.50% (90 runs sampled)\n\
            RegExp#test x 43,497 ops/sec ±0.69% (93 runs sampled)\nFastest is fib x 10\n";
        let bmf = parse(input, Settings::default()).unwrap();
        let m = bmf.0["fib x 10"][THROUGHPUT];
        assert_eq!(m.value, 1_234_567.0);
        assert!((m.upper_value.unwrap() - 1_253_085.505).abs() < 1e-6);
        assert!(bmf.0.contains_key("RegExp#test"));
    }
}
