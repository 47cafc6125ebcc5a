//! `rust_criterion`: Criterion.rs console output,
//! `name   time:   [lo unit est unit hi unit]`, the name on the line before when it is long.
//! A following `thrpt:` line in elements per second also gives `throughput`.

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::{AdaptError, unknown_unit};
use crate::kind::{Adapter, Settings};
use crate::measure::{LATENCY, THROUGHPUT};
use crate::text::{nanos_per, number, rfind_str, strip_ansi};

const KIND: Adapter = Adapter::RustCriterion;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[], "criterion reports one point estimate")?;
    let input = strip_ansi(input);
    let mut bmf = Collector::default();
    let mut previous = "";
    let mut current: Option<&str> = None;
    for line in input.lines() {
        let trimmed = line.trim();
        if let Some((head, triple)) = labelled_triple(trimmed, "time:") {
            let name = if head.is_empty() { previous } else { head };
            current = None;
            if name.is_empty() {
                continue;
            }
            let Some([lo, est, hi]) = scaled(name, triple, nanos_per)? else {
                continue;
            };
            bmf.insert(name, LATENCY, JsonMetric::with_bounds(est, lo, hi));
            current = Some(name);
        } else if let Some(("", triple)) = labelled_triple(trimmed, "thrpt:") {
            if let Some(name) = current {
                // Bytes per second are not operations per second: only elements count.
                if let Ok(Some([lo, est, hi])) = scaled(name, triple, elements_per_second) {
                    // Criterion lists throughput in the order of the times: lower time, higher rate.
                    let (lo, hi) = (lo.min(hi), lo.max(hi));
                    bmf.insert(name, THROUGHPUT, JsonMetric::with_bounds(est, lo, hi));
                }
            }
        } else if !trimmed.is_empty() {
            current = None;
        }
        if !trimmed.is_empty() {
            previous = trimmed;
        }
    }
    bmf.finish()
}

/// `head   label   [a u b u c u]` → (`head`, `a u b u c u`), taking the last `label`.
fn labelled_triple<'a>(line: &'a str, label: &str) -> Option<(&'a str, &'a str)> {
    let at = rfind_str(line, label)?;
    let rest = line[at + label.len()..].trim_start();
    let inner = rest.strip_prefix('[')?.strip_suffix(']')?;
    Some((line[..at].trim_end(), inner))
}

/// Three `value unit` pairs scaled by `per(unit)`; `None` if the text is not three such pairs.
fn scaled(
    name: &str,
    triple: &str,
    per: fn(&str) -> Option<f64>,
) -> Result<Option<[f64; 3]>, AdaptError> {
    let mut tokens = triple.split_whitespace();
    let mut out = [0.0; 3];
    for slot in &mut out {
        let (Some(value), Some(unit)) = (tokens.next(), tokens.next()) else {
            return Ok(None);
        };
        let Some(value) = number(value) else {
            return Ok(None);
        };
        *slot = value * per(unit).ok_or_else(|| unknown_unit(name, unit))?;
    }
    Ok(tokens.next().is_none().then_some(out))
}

fn elements_per_second(unit: &str) -> Option<f64> {
    Some(match unit {
        "elem/s" => 1.0,
        "Kelem/s" => 1e3,
        "Melem/s" => 1e6,
        "Gelem/s" => 1e9,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_on_the_line_before_and_throughput() {
        let input = "fib 10                  time:   [110.08 ns 112.11 ns 117.04 ns]\n\
            Found 2 outliers among 10 measurements (20.00%)\n\n\
            a long name: sort/µs ü\n                        time:   [102.65 ps 1.5 µs 2 ms]\n\
            sum/100                 time:   [724.92 ps 745.34 ps 769.51 ps]\n\
            \x20                       thrpt:  [129.95 Gelem/s 134.17 Gelem/s 137.95 Gelem/s]\n";
        let bmf = crate::adapt(KIND, Settings::default(), input).unwrap();
        assert_eq!(bmf.0.len(), 3);
        assert_eq!(
            bmf.0["fib 10"][LATENCY],
            JsonMetric::with_bounds(112.11, 110.08, 117.04)
        );
        let long = bmf.0["a long name: sort/µs ü"][LATENCY];
        assert_eq!(
            (long.lower_value, long.value, long.upper_value),
            (Some(0.10265), 1500.0, Some(2e6))
        );
        let t = bmf.0["sum/100"][THROUGHPUT];
        assert_eq!(
            (t.lower_value, t.value, t.upper_value),
            (Some(129.95e9), 134.17e9, Some(137.95e9))
        );
    }

    #[test]
    fn a_name_containing_time_is_kept() {
        let bmf = parse(
            "parse time: x   time:   [1 ns 2 ns 3 ns]",
            Settings::default(),
        )
        .unwrap();
        assert!(bmf.0.contains_key("parse time: x"));
    }
}
