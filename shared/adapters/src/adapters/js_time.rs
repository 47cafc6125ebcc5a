//! `js_time`: `console.time`/`console.timeEnd` lines. Node prints `label: 7.263ms`,
//! `label: 1.002s` and, past a minute, `label: 1:02.345 (m:ss.mmm)` or
//! `label: 1:02:03.456 (h:mm:ss.mmm)`; Deno and older runtimes append ` - timer ended`;
//! Bun prints `[7.26ms] label`.

use bencher_wire::bmf::{Bmf, JsonMetric};

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Settings};
use crate::measure::LATENCY;
use crate::text::{
    nanos_per, number, rsplit_once_str, split_number_unit, split_once_str, strip_ansi,
};

const KIND: Adapter = Adapter::JsTime;

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(KIND, settings, &[], "console.time measures one run")?;
    let input = strip_ansi(input);
    let mut bmf = Collector::default();
    for line in input.lines() {
        let parsed = bun(line).or_else(|| node(line));
        if let Some((label, nanos)) = parsed.filter(|(label, _)| !label.trim().is_empty()) {
            bmf.insert(label, LATENCY, JsonMetric::new(nanos));
        }
    }
    bmf.finish()
}

/// `[7.26ms] label`
fn bun(line: &str) -> Option<(&str, f64)> {
    let (time, label) = split_once_str(line.strip_prefix('[')?, "] ")?;
    Some((label, duration(time)?))
}

/// `label: 7.263ms`, `label: 1:02.345 (m:ss.mmm)`, each optionally ` - timer ended`.
fn node(line: &str) -> Option<(&str, f64)> {
    let line = line.strip_suffix(" - timer ended").unwrap_or(line);
    for format in [" (m:ss.mmm)", " (h:mm:ss.mmm)"] {
        if let Some(rest) = line.strip_suffix(format) {
            let (label, clock) = rsplit_once_str(rest, ": ")?;
            return Some((label, clock_nanos(clock)?));
        }
    }
    let (label, time) = rsplit_once_str(line, ": ")?;
    Some((label, duration(time)?))
}

/// `7.263ms`, `1.002s`, `12µs`.
fn duration(time: &str) -> Option<f64> {
    let (value, unit) = split_number_unit(time);
    Some(number(value)? * nanos_per(unit)?)
}

/// `1:02.345` or `1:02:03.456`.
fn clock_nanos(clock: &str) -> Option<f64> {
    let mut seconds = 0.0;
    for part in clock.split(':') {
        seconds = seconds * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(seconds * 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_node_deno_and_bun() {
        let input = "build: 7.263ms\nslow: 1.002s\nlong one: 1:02.500 (m:ss.mmm)\n\
            huge: 1:00:00.000 (h:mm:ss.mmm)\ndeno: 12ms - timer ended\n[3.50ms] bun label\n\
            not: a time\nalso not: 7.2 ms\n";
        let bmf = parse(input, Settings::default()).unwrap();
        let get = |name: &str| bmf.0[name][LATENCY].value;
        assert_eq!(bmf.0.len(), 6);
        assert_eq!(get("build"), 7_263_000.0);
        assert_eq!(get("slow"), 1_002_000_000.0);
        assert_eq!(get("long one"), 62.5e9);
        assert_eq!(get("huge"), 3600e9);
        assert_eq!(get("deno"), 12e6);
        assert_eq!(get("bun label"), 3.5e6);
    }
}
