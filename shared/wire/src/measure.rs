//! Built-in measures: the slugs adapters produce, with the display name and units a measure gets
//! when it is created on first use — by the result-processor for a metric, or by intake for a
//! threshold named before any metric exists. One table, so both create the same measure. Names
//! and units follow Bencher's built-in measures. A slug not listed here gets [`CUSTOM_UNITS`].

use serde::Serialize;

/// Latency, nanoseconds.
pub const LATENCY: &str = "latency";
/// Throughput, operations per second.
pub const THROUGHPUT: &str = "throughput";
/// Build time, seconds.
pub const BUILD_TIME: &str = "build-time";
/// File size, bytes.
pub const FILE_SIZE: &str = "file-size";
/// Instructions executed (iai, gungraun).
pub const INSTRUCTIONS: &str = "instructions";
/// Estimated cycles (iai, gungraun).
pub const ESTIMATED_CYCLES: &str = "estimated-cycles";
/// L1 cache accesses (iai).
pub const L1_ACCESSES: &str = "l1-accesses";
/// L2 cache accesses (iai).
pub const L2_ACCESSES: &str = "l2-accesses";
/// RAM accesses (iai).
pub const RAM_ACCESSES: &str = "ram-accesses";
/// L1 cache hits (gungraun).
pub const L1_HITS: &str = "l1-hits";
/// L2 (last level) cache hits (gungraun).
pub const L2_HITS: &str = "l2-hits";
/// RAM hits (gungraun).
pub const RAM_HITS: &str = "ram-hits";
/// Total reads and writes (gungraun).
pub const TOTAL_READ_WRITE: &str = "total-read-write";

/// Units of a measure created from a slug that is not built in.
pub const CUSTOM_UNITS: &str = "units";

/// A measure created on first use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MeasureInfo {
    /// Display name.
    pub name: &'static str,
    /// Slug, as it appears in BMF.
    pub slug: &'static str,
    /// Units of every value of this measure.
    pub units: &'static str,
}

const fn info(name: &'static str, slug: &'static str, units: &'static str) -> MeasureInfo {
    MeasureInfo { name, slug, units }
}

/// Every built-in measure.
pub const BUILT_IN_MEASURES: &[MeasureInfo] = &[
    info("Latency", LATENCY, "nanoseconds (ns)"),
    info("Throughput", THROUGHPUT, "operations / second (ops/s)"),
    info("Build Time", BUILD_TIME, "seconds (s)"),
    info("File Size", FILE_SIZE, "bytes (B)"),
    info("Instructions", INSTRUCTIONS, "instructions"),
    info("Estimated Cycles", ESTIMATED_CYCLES, "cycles"),
    info("L1 Accesses", L1_ACCESSES, "accesses"),
    info("L2 Accesses", L2_ACCESSES, "accesses"),
    info("RAM Accesses", RAM_ACCESSES, "accesses"),
    info("L1 Hits", L1_HITS, "hits"),
    info("L2 Hits", L2_HITS, "hits"),
    info("RAM Hits", RAM_HITS, "hits"),
    info("Total Read+Write", TOTAL_READ_WRITE, "reads and writes"),
];

/// The built-in measure with this slug, if any.
pub fn built_in_measure(slug: &str) -> Option<MeasureInfo> {
    BUILT_IN_MEASURES.iter().copied().find(|m| m.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Slug;

    #[test]
    fn built_ins_have_bencher_names_and_units() {
        let latency = built_in_measure("latency").unwrap();
        assert_eq!(
            (latency.name, latency.units),
            ("Latency", "nanoseconds (ns)")
        );
        assert_eq!(
            built_in_measure("throughput").unwrap().units,
            "operations / second (ops/s)"
        );
        assert_eq!(built_in_measure("build-time").unwrap().units, "seconds (s)");
        assert_eq!(built_in_measure("file-size").unwrap().units, "bytes (B)");
        assert_eq!(built_in_measure("l1-hits").unwrap().name, "L1 Hits");
        assert_eq!(built_in_measure("dhat-bytes"), None);
    }

    #[test]
    fn slugs_are_unique_valid_slugs() {
        let mut slugs: Vec<_> = BUILT_IN_MEASURES.iter().map(|m| m.slug).collect();
        for slug in &slugs {
            assert_eq!(slug.parse::<Slug>().unwrap().as_str(), *slug);
        }
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), BUILT_IN_MEASURES.len());
    }
}
