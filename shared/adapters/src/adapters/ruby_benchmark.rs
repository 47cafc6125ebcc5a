//! `ruby_benchmark`: tables of Ruby's `Benchmark` (`bm`, `bmbm`, `benchmark`), rows
//! `label   user system total (  real)` under a `user system total real` header; latency is
//! the real (wall-clock) time. `bmbm`'s rehearsal rows have no header and are skipped.

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Settings};
use crate::measure::LATENCY;
use crate::text::number;

const KIND: Adapter = Adapter::RubyBenchmark;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[], "Benchmark times one run")?;
    let mut bmf = Collector::default();
    let mut in_table = false;
    for line in input.lines() {
        if is_header(line) {
            in_table = true;
            continue;
        }
        if !in_table {
            continue;
        }
        match row(line) {
            Some((label, real)) => {
                if !label.is_empty() {
                    bmf.insert(label, LATENCY, JsonMetric::new(real * 1e9));
                }
            }
            None => in_table = false,
        }
    }
    bmf.finish()
}

fn is_header(line: &str) -> bool {
    let mut tokens = line.split_whitespace();
    // `Benchmark.benchmark` may put a caption before the columns.
    tokens.by_ref().find(|t| *t == "user").is_some()
        && tokens.next() == Some("system")
        && tokens.next() == Some("total")
        && tokens.next() == Some("real")
        && tokens.next().is_none()
}

/// `label   1.050000   0.000000   1.050000 (  1.052595)` → (`label`, 1.052595).
fn row(line: &str) -> Option<(&str, f64)> {
    let (head, real) = line.trim_end().strip_suffix(')')?.rsplit_once('(')?;
    let real = number(real)?;
    let mut head = head.trim_end();
    for _ in 0..3 {
        let (rest, column) = head.rsplit_once(char::is_whitespace).unwrap_or(("", head));
        number(column)?;
        head = rest.trim_end();
    }
    Some((head.trim(), real))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_real_times_after_the_header_only() {
        let input = "Rehearsal -----------------------------------------\n\
            sort!   1.490000   0.010000   1.500000 (  1.490520)\n\
            -------------------------------- total: 2.960000sec\n\n\
            \x20           user     system      total        real\n\
            sort!   1.460000   0.000000   1.460000 (  1.460465)\n\
            for:    0.020566   0.000000   0.020566 (  0.020583)\n\
            a b c   0.1   0.0   0.1 (  2)\n";
        let bmf = parse(input, Settings::default()).unwrap();
        assert_eq!(bmf.0.len(), 3);
        assert_eq!(bmf.0["sort!"][LATENCY].value, 1_460_465_000.0);
        assert_eq!(bmf.0["for:"][LATENCY].value, 20_583_000.0);
        assert_eq!(bmf.0["a b c"][LATENCY].value, 2e9);
    }
}
