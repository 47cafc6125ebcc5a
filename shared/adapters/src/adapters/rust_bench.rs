//! `rust_bench`: libtest's `#[bench]` lines,
//! `test name ... bench:       1,234 ns/iter (+/- 56)`, optionally followed by `= 12 MB/s`.
//! libtest reports the median and the spread (max − min) of its samples.

use bencher_wire::bmf::Bmf;

use super::check_average;
use crate::collect::Collector;
use crate::error::{AdaptError, unknown_unit};
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::{nanos_per, number, plus_minus, rsplit_once_str};

const KIND: Adapter = Adapter::RustBench;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(
        KIND,
        settings,
        &[Average::Median],
        "libtest reports the median only",
    )?;
    let mut bmf = Collector::default();
    for line in input.lines() {
        let Some(rest) = line.trim_start().strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rsplit_once_str(rest, " ... bench:") else {
            continue;
        };
        let mut tokens = result.split_whitespace();
        let (Some(value), Some(unit), Some("(+/-"), Some(spread)) =
            (tokens.next(), tokens.next(), tokens.next(), tokens.next())
        else {
            continue;
        };
        let (Some(value), Some(spread)) =
            (number(value), spread.strip_suffix(')').and_then(number))
        else {
            continue;
        };
        let Some(unit) = unit.strip_suffix("/iter") else {
            continue;
        };
        let scale = nanos_per(unit).ok_or_else(|| unknown_unit(name, unit))?;
        bmf.insert(
            name.trim(),
            LATENCY,
            plus_minus(value * scale, spread * scale),
        );
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_separators_decimals_and_mb_per_second() {
        let input = "running 3 tests\n\
            test a::fib ... bench:       1,234 ns/iter (+/- 56)\n\
            test fib 20 ... bench:         135.07 ns/iter (+/- 2.30) = 947 MB/s\n\
            test skipped ... ignored\n";
        let bmf = parse(input, Settings::default()).unwrap();
        assert_eq!(bmf.0.len(), 2);
        let m = bmf.0["a::fib"][LATENCY];
        assert_eq!(
            (m.value, m.lower_value, m.upper_value),
            (1234.0, Some(1178.0), Some(1290.0))
        );
        assert_eq!(bmf.0["fib 20"][LATENCY].value, 135.07);
    }

    #[test]
    fn refuses_the_mean() {
        let settings = Settings {
            average: Some(Average::Mean),
        };
        assert!(matches!(
            parse("", settings),
            Err(AdaptError::UnsupportedAverage { .. })
        ));
    }
}
