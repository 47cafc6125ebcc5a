//! `dart_benchmark_harness`: `benchmark_harness` reports, `Name(RunTime): 12.3 us.`
//! (the mean time of one run, in microseconds).

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::{AdaptError, unknown_unit};
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::{nanos_per, number, split_once_str};

const KIND: Adapter = Adapter::DartBenchmarkHarness;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(
        KIND,
        settings,
        &[Average::Mean],
        "benchmark_harness reports the mean only",
    )?;
    let mut bmf = Collector::default();
    for line in input.lines() {
        let Some((name, result)) = split_once_str(line.trim(), "(RunTime): ") else {
            continue;
        };
        let Some((value, unit)) = result
            .trim_end()
            .strip_suffix('.')
            .and_then(|r| r.split_once(' '))
        else {
            continue;
        };
        let Some(value) = number(value) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let scale = nanos_per(unit).ok_or_else(|| unknown_unit(name, unit))?;
        bmf.insert(name, LATENCY, JsonMetric::new(value * scale));
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_microseconds() {
        let input =
            "Template(RunTime): 0.15483870967741936 us.\nFib 20(RunTime): 1234.5 us.\nnoise\n";
        let bmf = parse(input, Settings::default()).unwrap();
        assert_eq!(bmf.0.len(), 2);
        assert_eq!(bmf.0["Fib 20"][LATENCY].value, 1_234_500.0);
    }
}
