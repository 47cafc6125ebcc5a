//! `python_asv`: airspeed velocity's `asv run` result lines,
//! `[50.00%] ··· benchmarks.TimeSuite.time_keys        1.23±0.01ms`. asv shows the median
//! ± half the interquartile range; results without a time unit (`track_`, `mem_`, `failed`)
//! are skipped. A parameterised benchmark (`name   ok` followed by a table of parameter values
//! and results) gives one benchmark per row, named `name(p1, p2)` as `asv compare` shows it.

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::{nanos_per, number, plus_minus, split_number_unit, split_once_str, strip_ansi};

const KIND: Adapter = Adapter::PythonAsv;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(
        KIND,
        settings,
        &[Average::Median],
        "asv reports the median only",
    )?;
    let input = strip_ansi(input);
    let mut bmf = Collector::default();
    let mut table = Table::None;
    for line in input.lines() {
        table = match table {
            Table::None => Table::None,
            Table::Awaiting(name) if line.contains("··· ====") => Table::Header(name),
            Table::Header(name) if line.trim_start().starts_with("---") => Table::Rows(name),
            Table::Header(name) => Table::Header(name),
            Table::Rows(name) if !line.trim_start().starts_with('=') && !line.contains("··· ") =>
            {
                param_row(&mut bmf, name, line);
                Table::Rows(name)
            }
            Table::Awaiting(_) | Table::Rows(_) => Table::None,
        };
        let Some((_, rest)) = split_once_str(line, "··· ") else {
            continue;
        };
        let rest = rest.trim();
        let Some((name, result)) = rest.rsplit_once(char::is_whitespace) else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        if result == "ok" {
            table = Table::Awaiting(name);
        } else if let Some(metric) = result_metric(result) {
            bmf.insert(name, LATENCY, metric);
        }
    }
    bmf.finish()
}

/// Where we are in a parameter table.
#[derive(Clone, Copy)]
enum Table<'a> {
    None,
    /// `name   ok` seen; the table comes next.
    Awaiting(&'a str),
    /// Parameter names, up to the `-----` rule.
    Header(&'a str),
    /// `value ...  result` rows, up to the closing `=====` rule.
    Rows(&'a str),
}

fn param_row(bmf: &mut Collector, name: &str, line: &str) {
    let Some((params, result)) = line.trim().rsplit_once(char::is_whitespace) else {
        return;
    };
    let params: Vec<&str> = params.split_whitespace().collect();
    if let Some(metric) = result_metric(result).filter(|_| !params.is_empty()) {
        bmf.insert(format!("{name}({})", params.join(", ")), LATENCY, metric);
    }
}

/// `1.23±0.01ms`, `1.23±0ms` or `1.23ms`, in nanoseconds.
fn result_metric(result: &str) -> Option<JsonMetric> {
    match result.split_once('±') {
        Some((value, spread)) => {
            let (spread, unit) = split_number_unit(spread);
            let scale = nanos_per(unit)?;
            Some(plus_minus(number(value)? * scale, number(spread)? * scale))
        }
        None => {
            let (value, unit) = split_number_unit(result);
            Some(JsonMetric::new(number(value)? * nanos_per(unit)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_results_and_skips_failures_and_counts() {
        let input = "· Running 4 total benchmarks (1 commits * 1 environments * 4 benchmarks)\n\
            [25.00%] ··· benchmarks.TimeSuite.time_keys                 1.23±0.01ms\n\
            [50.00%] ··· benchmarks.TimeSuite.time_values               9.75±0μs\n\
            [62.50%] ··· benchmarks.MemSuite.mem_list                        2.11k\n\
            [75.00%] ··· benchmarks.TimeSuite.time_broken                   failed\n\
            [87.50%] ··· benchmarks.TimeSuite.time_slow                      1.02s\n\
            [90.00%] ··· bench.P.time_sorted                                    ok\n\
            [90.00%] ··· ====== ====== ===========\n\
            \x20              n      k\n\
            \x20            ------ ------ -----------\n\
            \x20              10     a    587±200ns\n\
            \x20             1000    b     16.7±4μs\n\
            \x20            ====== ====== ===========\n\n";
        let bmf = parse(input, Settings::default()).unwrap();
        assert_eq!(bmf.0.len(), 5);
        assert_eq!(
            bmf.0["bench.P.time_sorted(10, a)"][LATENCY].upper_value,
            Some(787.0)
        );
        assert_eq!(
            bmf.0["bench.P.time_sorted(1000, b)"][LATENCY].value,
            16_700.0
        );
        let m = bmf.0["benchmarks.TimeSuite.time_keys"][LATENCY];
        assert_eq!(m.value, 1_230_000.0);
        assert_eq!(m.upper_value, Some(1_240_000.0));
        assert_eq!(
            bmf.0["benchmarks.TimeSuite.time_values"][LATENCY].value,
            9750.0
        );
        assert_eq!(
            bmf.0["benchmarks.TimeSuite.time_slow"][LATENCY].value,
            1.02e9
        );
    }
}
