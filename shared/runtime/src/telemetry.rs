//! Tracing initialisation: human-readable or JSON lines, filtered by `tracing` directives.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::LogFormat;

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter directives do not parse.
    #[error("invalid log filter {filter:?}: {source}")]
    Filter {
        /// The directives given.
        filter: String,
        /// The parse error.
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
}

/// Installs the global subscriber with `format` and `filter` (`info,bencher_runtime=debug`).
///
/// Idempotent: when a subscriber is already installed (a second call, or a test harness), the
/// call returns `Ok(false)` and leaves it in place; `Ok(true)` means this call installed it.
pub fn init_tracing(format: LogFormat, filter: &str) -> Result<bool, TelemetryError> {
    let env_filter =
        EnvFilter::builder()
            .parse(filter)
            .map_err(|source| TelemetryError::Filter {
                filter: filter.to_owned(),
                source,
            })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_span_events(FmtSpan::NONE)
        .with_target(true);
    let installed = match format {
        LogFormat::Human => builder.try_init().is_ok(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
            .is_ok(),
    };
    Ok(installed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_init_is_a_no_op_and_bad_filters_are_refused() {
        let first = init_tracing(LogFormat::Json, "error").unwrap();
        let second = init_tracing(LogFormat::Human, "debug").unwrap();
        assert!(!second, "a second init must not replace the subscriber");
        // Whichever test initialised first, the global subscriber is now set.
        assert!(first || !second);
        let err = init_tracing(LogFormat::Human, "bencher=notalevel").unwrap_err();
        assert!(err.to_string().contains("notalevel"), "{err}");
    }
}
