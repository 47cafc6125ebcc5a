//! `rust_gungraun` (alias `rust_iai_callgrind`): Gungraun's (formerly iai-callgrind's) summary,
//! a `module::group::bench id` line followed by indented `Metric:  new|old  (change)` lines,
//! optionally under `==== CALLGRIND ====`-style tool headers.

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Settings};
use crate::measure::{
    ESTIMATED_CYCLES, INSTRUCTIONS, L1_HITS, L2_HITS, RAM_HITS, TOTAL_READ_WRITE,
};
use crate::text::{number, strip_ansi};

const KIND: Adapter = Adapter::RustGungraun;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[], "gungraun counts one run")?;
    let input = strip_ansi(input);
    let mut bmf = Collector::default();
    let mut current: Option<&str> = None;
    for line in input.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            // Benchmark ids are `module::group::function id`.
            current = line.contains("::").then(|| line.trim_end());
            continue;
        }
        let (Some(name), Some((key, rest))) = (current, line.trim().split_once(':')) else {
            continue;
        };
        let measure = match key {
            "Instructions" => INSTRUCTIONS,
            "L1 Hits" => L1_HITS,
            "L2 Hits" | "LL Hits" => L2_HITS,
            "RAM Hits" => RAM_HITS,
            "Total read+write" => TOTAL_READ_WRITE,
            "Estimated Cycles" => ESTIMATED_CYCLES,
            _ => continue,
        };
        let Some((value, _old)) = rest.trim().split_once('|') else {
            continue;
        };
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
    fn parses_first_and_later_runs() {
        let input = "lib_bench::bench_group::bench_fib short:10\n\
            \x20 ======= CALLGRIND ====================================\n\
            \x20 Instructions:                1734|N/A             (*********)\n\
            \x20 L1 Hits:                     2359|N/A             (*********)\n\
            \x20 LL Hits:                        0|N/A             (*********)\n\
            \x20 RAM Hits:                       3|N/A             (*********)\n\
            \x20 Total read+write:            2362|N/A             (*********)\n\
            \x20 Estimated Cycles:            2464|N/A             (*********)\n\
            lib_bench::bench_group::bench_fib long:30\n\
            \x20 Instructions:            26214734|26214734        (No change)\n\
            Gungraun result: Ok. 2 without regressions; 0 regressed; 2 benchmarks finished in 0.4s\n";
        let bmf = parse(input, Settings::default()).unwrap();
        assert_eq!(bmf.0.len(), 2);
        let short = &bmf.0["lib_bench::bench_group::bench_fib short:10"];
        assert_eq!(short.len(), 6);
        assert_eq!(short[TOTAL_READ_WRITE].value, 2362.0);
        assert_eq!(
            bmf.0["lib_bench::bench_group::bench_fib long:30"][INSTRUCTIONS].value,
            26_214_734.0
        );
    }
}
