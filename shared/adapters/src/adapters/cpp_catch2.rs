//! `cpp_catch2`: Catch2's console benchmark tables (v2 and v3). Each benchmark is a name
//! (wrapped over several lines when long), `samples iterations estimated`, then
//! `mean low-mean high-mean`, then `std-dev low high`. Latency is the mean ± one standard
//! deviation, named `<test case>: <benchmark>` (`<test case>: <section>: <benchmark>` inside
//! sections), with wrapped names joined by single spaces.

use bencher_wire::bmf::Bmf;

use super::check_average;
use crate::collect::Collector;
use crate::error::AdaptError;
use crate::kind::{Adapter, Average, Settings};
use crate::measure::LATENCY;
use crate::text::{nanos_per, number, plus_minus, strip_ansi};

const KIND: Adapter = Adapter::CppCatch2;

#[derive(Clone, Copy, PartialEq)]
enum State {
    /// Outside a test case header or table.
    Idle,
    /// Between the dashed lines around a test case name.
    Header,
    /// After the header, before the table.
    Preamble,
    /// Between `benchmark name` and the dashed line under the column titles.
    Columns,
    /// In the table.
    Rows,
}

#[derive(Default)]
struct Names {
    /// Test case, then sections; each possibly wrapped.
    path: Vec<String>,
    /// The lines of a benchmark name so far.
    pending: Vec<String>,
    /// The benchmark whose statistics lines come next, and the mean once read.
    benchmark: Option<(String, Option<f64>)>,
}

pub(crate) fn parse(input: &str, settings: Settings) -> Result<Bmf, AdaptError> {
    check_average(
        KIND,
        settings,
        &[Average::Mean],
        "Catch2 prints the mean and standard deviation",
    )?;
    let input = strip_ansi(input);
    let mut bmf = Collector::default();
    let mut state = State::Idle;
    let mut names = Names::default();
    for line in input.lines() {
        let dashes = line.len() >= 20 && line.bytes().all(|b| b == b'-');
        if line.starts_with("benchmark name") {
            state = State::Columns;
            continue;
        }
        state = match (state, dashes) {
            (State::Columns, true) => State::Rows,
            (State::Header, true) => State::Preamble,
            (State::Idle | State::Preamble | State::Rows, true) => {
                names = Names::default();
                State::Header
            }
            (State::Header, false) => {
                header_line(&mut names.path, line);
                State::Header
            }
            (State::Rows, false) => {
                row_line(&mut bmf, &mut names, line);
                State::Rows
            }
            (other, false) => other,
        };
    }
    bmf.finish()
}

/// A test case name, a section (indented by two) or the wrapped rest of either.
fn header_line(path: &mut Vec<String>, line: &str) {
    let text = line.trim();
    if text.is_empty() {
        return;
    }
    let indent = line.len() - line.trim_start().len();
    match path.last_mut() {
        Some(last) if indent != 2 && indent != 0 => {
            last.push(' ');
            last.push_str(text);
        }
        _ => path.push(text.to_owned()),
    }
}

fn row_line(bmf: &mut Collector, names: &mut Names, line: &str) {
    let text = line.trim();
    if text.is_empty() {
        names.pending.clear();
        names.benchmark = None;
        return;
    }
    match names.benchmark.take() {
        None => {
            if let Some(head) = first_stats_line(text) {
                let mut name = names.path.join(": ");
                let mut own = std::mem::take(&mut names.pending);
                if !head.is_empty() {
                    own.push(head.to_owned());
                }
                if !name.is_empty() {
                    name.push_str(": ");
                }
                name.push_str(&own.join(" "));
                names.benchmark = Some((name, None));
            } else {
                names.pending.push(text.to_owned());
            }
        }
        Some((name, None)) => {
            if let Some([mean, _, _]) = three_times(text) {
                names.benchmark = Some((name, Some(mean)));
            }
        }
        Some((name, Some(mean))) => {
            if let Some([std_dev, _, _]) = three_times(text) {
                bmf.insert(name, LATENCY, plus_minus(mean, std_dev));
            }
        }
    }
}

/// `name part   100   1   3.3726 ms` → the name part, if the last four tokens are
/// samples, iterations, estimated time and its unit.
fn first_stats_line(text: &str) -> Option<&str> {
    let mut head = text;
    let mut last = [""; 4];
    for slot in last.iter_mut().rev() {
        let (rest, token) = head.rsplit_once(char::is_whitespace)?;
        *slot = token;
        head = rest.trim_end();
    }
    let [samples, iterations, estimated, unit] = last;
    samples.parse::<u64>().ok()?;
    iterations.parse::<u64>().ok()?;
    number(estimated)?;
    nanos_per(unit)?;
    Some(head)
}

/// `27.6656 ns    27.6454 ns     27.726 ns` in nanoseconds.
fn three_times(text: &str) -> Option<[f64; 3]> {
    let mut tokens = text.split_whitespace();
    let mut out = [0.0; 3];
    for slot in &mut out {
        *slot = number(tokens.next()?)? * nanos_per(tokens.next()?)?;
    }
    tokens.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DASHES: &str =
        "-------------------------------------------------------------------------------";

    #[test]
    fn joins_wrapped_names_and_sections() {
        let input = format!(
            "{DASHES}\nSorting: a long test case name that\n         wraps\n  section one\n{DASHES}\n\
             t.cpp:16\n.....\n\nbenchmark name          samples   iterations    estimated\n\
             \x20      mean   low mean   high mean\n       std dev  low std dev high std dev\n{DASHES}\n\
             sort 1000 reversed\nwraps over lines        20            12      459.6 us \n\
             \x20            3.06481 us    3.04712 us     3.1347 us \n\
             \x20            75.7993 ns    1.78825 ns    150.802 ns \n\
             \x20                                                   \n\
             sleep 2ms    20     1    41.8723 ms \n   2.079 ms  2.0776 ms  2.08303 ms\n\
             \x20  5.04072 us    1.73296 us    9.81767 us\n\n"
        );
        let bmf = crate::adapt(KIND, Settings::default(), &input).unwrap();
        let prefix = "Sorting: a long test case name that wraps: section one: ";
        let sort = bmf.0[&format!("{prefix}sort 1000 reversed wraps over lines")][LATENCY];
        assert_eq!((sort.value, sort.upper_value), (3064.81, Some(3140.6093)));
        assert_eq!(
            bmf.0[&format!("{prefix}sleep 2ms")][LATENCY].value,
            2_079_000.0
        );
        assert_eq!(bmf.0.len(), 2);
    }
}
