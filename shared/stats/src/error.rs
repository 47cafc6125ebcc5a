//! The crate's one error type: an invalid threshold model or a distribution that cannot be built.

use statrs::distribution::{LogNormalError, NormalError, StudentsTError};

use crate::ThresholdTest;

/// Why a threshold model is rejected, or why a distribution could not be built from a history.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Neither `lower_boundary` nor `upper_boundary` is set.
    #[error("lower_boundary or upper_boundary: at least one boundary must be set")]
    NoBoundary,
    /// A boundary is NaN or infinite.
    #[error("{field}: must be a finite number, got {value}")]
    NotFinite {
        /// The offending field.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A percentage or IQR-style boundary is negative.
    #[error("{field}: must be >= 0 for the {test} test, got {value}")]
    Negative {
        /// The offending field.
        field: &'static str,
        /// The threshold test.
        test: ThresholdTest,
        /// The value given.
        value: f64,
    },
    /// A distribution boundary (a cumulative probability) is outside `[0.5, 1.0)`.
    #[error("{field}: must be in [0.5, 1.0) for the {test} test, got {value}")]
    NotAProbability {
        /// The offending field.
        field: &'static str,
        /// The threshold test.
        test: ThresholdTest,
        /// The value given.
        value: f64,
    },
    /// The static test got a lower boundary above its upper boundary.
    #[error("lower_boundary: must be <= upper_boundary for the static test, got {lower} > {upper}")]
    LowerAboveUpper {
        /// The lower boundary.
        lower: f64,
        /// The upper boundary.
        upper: f64,
    },
    /// A field that the test does not use was set (static: sample sizes and window).
    #[error("{field}: must not be set for the {test} test")]
    NotAllowed {
        /// The offending field.
        field: &'static str,
        /// The threshold test.
        test: ThresholdTest,
    },
    /// A sample size or window is below its minimum.
    #[error("{field}: must be >= {min} for the {test} test, got {value}")]
    TooSmall {
        /// The offending field.
        field: &'static str,
        /// The threshold test.
        test: ThresholdTest,
        /// The smallest allowed value.
        min: u32,
        /// The value given.
        value: u32,
    },
    /// `min_sample_size` is above `max_sample_size`.
    #[error("min_sample_size: must be <= max_sample_size, got {min} > {max}")]
    MinAboveMax {
        /// The minimum sample size.
        min: u32,
        /// The maximum sample size.
        max: u32,
    },
    /// statrs refused the normal distribution's parameters.
    #[error("normal distribution: {0}")]
    Normal(#[from] NormalError),
    /// statrs refused the Student's t distribution's parameters.
    #[error("student's t distribution: {0}")]
    StudentsT(#[from] StudentsTError),
    /// statrs refused the log-normal distribution's parameters.
    #[error("log-normal distribution: {0}")]
    LogNormal(#[from] LogNormalError),
}
