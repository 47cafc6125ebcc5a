//! Built-in measures: the slugs adapters produce, with the name and units a measure gets when it
//! is created on first use. The table lives in `bencher-wire` ([`bencher_wire::measure`]) so the
//! result-processor and intake (which creates measures for thresholds named before any metric)
//! share one source; it is re-exported here for the adapters.

pub use bencher_wire::measure::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapters_see_the_wire_table() {
        assert_eq!(built_in_measure(LATENCY).unwrap().units, "nanoseconds (ns)");
        assert_eq!(built_in_measure(THROUGHPUT).unwrap().name, "Throughput");
        assert_eq!(built_in_measure("dhat-bytes"), None);
    }
}
