//! `go_bench`: `go test -bench` result lines,
//! `BenchmarkName-8   1000000   12.3 ns/op   64 B/op   1 allocs/op` (ns/op is a mean).

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::number;

const KIND: Adapter = Adapter::GoBench;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(
        KIND,
        settings,
        &[Average::Mean],
        "go test -bench reports the mean only",
    )?;
    let mut bmf = Collector::default();
    for line in input.lines() {
        if !line.starts_with("Benchmark") {
            continue;
        }
        let mut tokens = line.split_whitespace();
        let (Some(name), Some(iterations)) = (tokens.next(), tokens.next()) else {
            continue;
        };
        if iterations.parse::<u64>().is_err() {
            continue;
        }
        // The rest are `value unit` pairs; take ns/op.
        while let (Some(value), Some(unit)) = (tokens.next(), tokens.next()) {
            if unit == "ns/op" {
                if let Some(value) = number(value) {
                    bmf.insert(name, LATENCY, JsonMetric::new(value));
                }
                break;
            }
        }
    }
    bmf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_ns_per_op_among_other_metrics() {
        let input = "goos: linux\nBenchmarkFib10-2   \t 1000000\t       347.8 ns/op\n\
            BenchmarkSort/size=10-2 \t 1000000\t 247.0 ns/op\t 323.88 MB/s\t 104 B/op\t 2 allocs/op\n\
            BenchmarkBroken-2 some log line\nPASS\n";
        let bmf = parse(input, Settings::default()).unwrap();
        assert_eq!(bmf.0.len(), 2);
        assert_eq!(bmf.0["BenchmarkSort/size=10-2"][LATENCY].value, 247.0);
    }
}
