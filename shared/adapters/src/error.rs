//! Why an output could not be turned into BMF. Messages are written for the user who ran the
//! benchmark: they say which adapter, which benchmark and what to do.

use bencher_wire::ValidationError;

use crate::kind::{Adapter, Average};

/// Why an adapter refused an output.
#[derive(Debug, thiserror::Error)]
pub enum AdaptError {
    /// The output holds nothing this adapter recognises.
    #[error("no {adapter} benchmark results found in the output (is this the right --adapter?)")]
    NoResults {
        /// The adapter that looked.
        adapter: Adapter,
    },
    /// The tool does not report the requested average.
    #[error("the {adapter} adapter cannot report the {average}: {reason}; drop --average")]
    UnsupportedAverage {
        /// The adapter asked.
        adapter: Adapter,
        /// The average requested.
        average: Average,
        /// What the tool reports instead.
        reason: &'static str,
    },
    /// A value that is NaN, infinite or missing, or out of range once converted to the measure's units.
    #[error("benchmark {benchmark:?}: {measure} is not a finite number")]
    NonFinite {
        /// The benchmark at fault (truncated).
        benchmark: String,
        /// The measure (or field) at fault.
        measure: String,
    },
    /// A recognised result with a unit this adapter cannot convert.
    #[error("benchmark {benchmark:?}: unknown unit {unit:?}")]
    UnknownUnit {
        /// The benchmark at fault (truncated).
        benchmark: String,
        /// The unit as printed (truncated).
        unit: String,
    },
    /// The output is not the JSON document this adapter expects.
    #[error("the output is not {adapter} JSON: {source}")]
    Json {
        /// The adapter that parsed.
        adapter: Adapter,
        /// Where and why the JSON was refused.
        #[source]
        source: serde_json::Error,
    },
    /// The results broke a BMF rule (empty name, non-finite value, ...).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// `magic` found no adapter that recognises the output.
    #[error(
        "no adapter recognised the output (tried {tried}); name the tool with --adapter to see why"
    )]
    Unrecognised {
        /// The adapters tried, in order.
        tried: String,
    },
}

/// Echo at most 64 characters of user text in a message.
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

/// A non-finite error naming `benchmark` and `measure`.
pub(crate) fn non_finite(benchmark: &str, measure: &str) -> AdaptError {
    AdaptError::NonFinite {
        benchmark: truncate(benchmark),
        measure: truncate(measure),
    }
}

/// An unknown-unit error naming `benchmark` and `unit`.
pub(crate) fn unknown_unit(benchmark: &str, unit: &str) -> AdaptError {
    AdaptError::UnknownUnit {
        benchmark: truncate(benchmark),
        unit: truncate(unit),
    }
}
