//! [`Collector`]: the results an adapter finds, in output order, turned into a checked BMF
//! document once, at the end.
//!
//! Inserting every line's benchmark into a `BTreeMap` as it is found made the line-based
//! adapters spend most of their time in tree inserts (one cache-missing search per line, most
//! lines being distinct benchmarks). The collector appends to a `Vec` instead, sorts once by
//! an 8-byte key taken where the names start to differ (so most comparisons never leave the
//! key), and builds the map from the sorted entries. The result is the one sequential inserts
//! gave: a later result for the same benchmark and measure replaces an earlier one.

use std::borrow::Cow;

use bencher_wire::bmf::{Bmf, BmfMeasures, JsonMetric};

use crate::error::{AdaptError, non_finite};
use crate::text::round_significant;

/// One result: benchmark (borrowed from the output where it can be), measure slug, metric.
type Entry<'a> = (Cow<'a, str>, &'static str, JsonMetric);

/// Results in output order.
#[derive(Default)]
pub(crate) struct Collector<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> Collector<'a> {
    /// Record one result (a later one for the same benchmark and measure replaces it).
    pub(crate) fn insert(
        &mut self,
        benchmark: impl Into<Cow<'a, str>>,
        measure: &'static str,
        metric: JsonMetric,
    ) {
        self.entries.push((benchmark.into(), measure, metric));
    }

    /// The BMF document: values rounded to 15 significant digits (unit conversion leaves binary
    /// noise: 2.079 ms → 2079000.0000000002 ns; further digits are below any timer's
    /// resolution), every value finite (else the error names the first benchmark, in name
    /// order, holding one) and the document valid but for emptiness, which [`crate::adapt`]
    /// reports per adapter.
    pub(crate) fn finish(self) -> Result<Bmf, AdaptError> {
        let mut entries = self.entries;
        for (_, _, metric) in &mut entries {
            metric.value = round_significant(metric.value);
            metric.lower_value = metric.lower_value.map(round_significant);
            metric.upper_value = metric.upper_value.map(round_significant);
        }
        let order = sorted_survivors(&entries);
        for &(_, i) in &order {
            let (benchmark, measure, metric) = &entries[i];
            let values = [Some(metric.value), metric.lower_value, metric.upper_value];
            if values.into_iter().flatten().any(|v| !v.is_finite()) {
                return Err(non_finite(benchmark, measure));
            }
        }
        let mut suspicious = false;
        let mut order = order;
        // Names first, in name order and next to each other in memory, so that building the
        // tree below compares them reading memory in order; then the measures. Each survivor's
        // sort key, no longer needed, becomes the index of its benchmark in `documents`.
        let mut documents: Vec<(String, BmfMeasures)> = Vec::with_capacity(order.len());
        for (document, i) in &mut order {
            let (benchmark, measure, _) = &mut entries[*i];
            if documents.last().is_none_or(|(last, _)| last != benchmark) {
                suspicious |= benchmark.trim().is_empty();
                let name = std::mem::take(benchmark).into_owned();
                documents.push((name, BmfMeasures::new()));
            }
            suspicious |= measure.trim().is_empty();
            *document = (documents.len() - 1) as u64;
        }
        for (document, i) in order {
            let (_, measure, metric) = &entries[i];
            // Set from a `usize` just above: the cast back is lossless.
            let (_, measures) = &mut documents[document as usize];
            measures.insert((*measure).to_owned(), *metric);
        }
        // Already sorted: `from_iter`'s sort sees one run and the tree is built in one pass.
        let bmf = Bmf(documents.into_iter().collect());
        if suspicious {
            // An empty name: let the document's own validation name the fault.
            bmf.validate()?;
        }
        Ok(bmf)
    }
}

/// Indices of `entries` in (benchmark, measure) order, keeping only the last of each
/// (benchmark, measure), each with its sort key.
fn sorted_survivors(entries: &[Entry]) -> Vec<(u64, usize)> {
    let Some((first, _, _)) = entries.first() else {
        return Vec::new();
    };
    // Every name starts with the first `common` bytes: the key is the 8 bytes after them.
    let common = entries.iter().fold(first.len(), |common, (name, _, _)| {
        common_prefix(&first.as_bytes()[..common], name.as_bytes())
    });
    let mut keyed: Vec<(u64, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, (name, _, _))| (key(&name.as_bytes()[common..]), i))
        .collect();
    // Zero-padded big-endian bytes order like the names they come from; equal keys fall back
    // to the whole name, then the measure, then the output position, latest first (so the
    // sort is total and the first of equal results is the one that replaced the others).
    keyed.sort_unstable_by(|&(ka, a), &(kb, b)| {
        ka.cmp(&kb)
            .then_with(|| entries[a].0.cmp(&entries[b].0))
            .then_with(|| entries[a].1.cmp(entries[b].1))
            .then(b.cmp(&a))
    });
    keyed.dedup_by(|&mut (kl, later), &mut (ke, earlier)| {
        kl == ke && entries[later].0 == entries[earlier].0 && entries[later].1 == entries[earlier].1
    });
    keyed
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// The first 8 bytes of `rest`, zero-padded, as a big-endian number.
fn key(rest: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let n = rest.len().min(8);
    bytes[..n].copy_from_slice(&rest[..n]);
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What sequential `Bmf::insert` calls give, the reference the collector must match.
    fn inserted(entries: &[Entry]) -> Bmf {
        let mut bmf = Bmf::default();
        for (benchmark, measure, metric) in entries {
            bmf.insert(benchmark.to_string(), measure, *metric);
        }
        bmf
    }

    fn collected(entries: &[Entry]) -> Result<Bmf, AdaptError> {
        let mut collector = Collector::default();
        for (benchmark, measure, metric) in entries {
            collector.insert(benchmark.clone(), measure, *metric);
        }
        collector.finish()
    }

    #[test]
    fn matches_sequential_inserts_with_duplicates_and_shared_prefixes() {
        let names = [
            "bench::fib_10",
            "bench::fib_1",
            "bench::fib_",
            "bench::fib_1\0",
            "bench::fib_100000000000",
            "bench::fib_10000000000",
            "bench::fib_2",
            "bench::fib_1",
            "bench::fib_µs",
            "bench::fib_10",
        ];
        let entries: Vec<Entry> = names
            .iter()
            .enumerate()
            .flat_map(|(i, name)| {
                let measure = if i % 3 == 0 { "throughput" } else { "latency" };
                [
                    ((*name).into(), "latency", JsonMetric::new(i as f64)),
                    ((*name).into(), measure, JsonMetric::new(100.0 + i as f64)),
                ]
            })
            .collect();
        let bmf = collected(&entries).unwrap();
        assert_eq!(bmf, inserted(&entries));
        // The last result wins: "bench::fib_10" is entries 0 and 9, 9 is a throughput row.
        assert_eq!(bmf.0["bench::fib_10"]["latency"].value, 9.0);
        assert_eq!(bmf.0["bench::fib_10"]["throughput"].value, 109.0);
        assert_eq!(bmf.0["bench::fib_1"]["latency"].value, 107.0);
    }

    #[test]
    fn names_the_first_non_finite_survivor_and_lets_validation_name_empty_names() {
        let entries = vec![
            ("b".into(), "latency", JsonMetric::new(f64::NAN)),
            ("a".into(), "latency", JsonMetric::new(f64::INFINITY)),
            ("a".to_owned().into(), "latency", JsonMetric::new(1.0)),
        ];
        let err = collected(&entries).unwrap_err().to_string();
        assert!(err.contains("\"b\""), "{err}");
        let blank = vec![(" ".into(), "latency", JsonMetric::new(1.0))];
        let err = collected(&blank).unwrap_err().to_string();
        assert!(err.contains("benchmark name"), "{err}");
        assert!(collected(&[]).unwrap().0.is_empty());
    }

    proptest::proptest! {
        /// Any results, with shared prefixes, repeats and several measures, give the document
        /// sequential inserts give.
        #[test]
        fn any_results_match_sequential_inserts(
            results in proptest::collection::vec(
                ("(bench::fib_)?[ab1\\x00µ]{0,12}", 0..3usize, -1e3..1e3f64),
                0..64,
            )
        ) {
            const MEASURES: [&str; 3] = ["latency", "throughput", "instructions"];
            let entries: Vec<Entry> = results
                .into_iter()
                .filter(|(name, _, _)| !name.trim().is_empty())
                .map(|(name, m, v)| (name.into(), MEASURES[m], JsonMetric::new(v)))
                .collect();
            let mut expected = inserted(&entries);
            for metric in expected.0.values_mut().flat_map(|m| m.values_mut()) {
                metric.value = round_significant(metric.value);
            }
            proptest::prop_assert_eq!(collected(&entries).unwrap(), expected);
        }
    }

    #[test]
    fn rounds_conversion_noise() {
        let entries = vec![("a".into(), "latency", JsonMetric::new(2.079 * 1e6))];
        assert_eq!(
            collected(&entries).unwrap().0["a"]["latency"].value,
            2_079_000.0
        );
    }
}
