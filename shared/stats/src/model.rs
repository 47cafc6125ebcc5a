//! A threshold's statistical model and its validation.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::StatsError;

/// The statistical test of a threshold, with Bencher's names (`z_score`, `t_test`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdTest {
    /// Fixed limits: the boundaries are the limits; no history.
    Static,
    /// Limits at a fraction of the mean above and below the mean.
    Percentage,
    /// Limits at a quantile of a normal distribution fitted to the history.
    ZScore,
    /// Limits at a quantile of a Student's t prediction interval fitted to the history.
    TTest,
    /// Limits at a quantile of a log-normal distribution fitted to the history.
    LogNormal,
    /// Limits at a multiple of the inter-quartile range around the median.
    Iqr,
    /// Limits at a multiple of the inter-quartile range of relative changes, scaled by the median.
    DeltaIqr,
}

impl ThresholdTest {
    /// Every test, in declaration order.
    pub const ALL: [ThresholdTest; 7] = [
        ThresholdTest::Static,
        ThresholdTest::Percentage,
        ThresholdTest::ZScore,
        ThresholdTest::TTest,
        ThresholdTest::LogNormal,
        ThresholdTest::Iqr,
        ThresholdTest::DeltaIqr,
    ];

    /// The wire name (`"z_score"`, ...), as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdTest::Static => "static",
            ThresholdTest::Percentage => "percentage",
            ThresholdTest::ZScore => "z_score",
            ThresholdTest::TTest => "t_test",
            ThresholdTest::LogNormal => "log_normal",
            ThresholdTest::Iqr => "iqr",
            ThresholdTest::DeltaIqr => "delta_iqr",
        }
    }

    /// Whether the boundaries are cumulative probabilities of a fitted distribution.
    pub fn is_distribution(self) -> bool {
        matches!(
            self,
            ThresholdTest::ZScore | ThresholdTest::TTest | ThresholdTest::LogNormal
        )
    }
}

impl fmt::Display for ThresholdTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A threshold's model: the test, how much history it reads and where its boundaries lie.
///
/// `window` (seconds) limits the history by age; it is applied by whoever queries the
/// history, since this crate sees only values. `max_sample_size` is applied both by the
/// query and again by [`crate::compute_boundary`] (it keeps the newest samples).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The statistical test.
    pub test: ThresholdTest,
    /// No limits are computed until the history holds at least this many samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sample_size: Option<u32>,
    /// At most this many of the newest samples are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_sample_size: Option<u32>,
    /// Only samples at most this many seconds old are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    /// The lower boundary; `None` means no lower limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_boundary: Option<f64>,
    /// The upper boundary; `None` means no upper limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_boundary: Option<f64>,
}

impl Model {
    /// A model with the given test and boundaries and no sample size or window limits.
    pub fn new(
        test: ThresholdTest,
        lower_boundary: Option<f64>,
        upper_boundary: Option<f64>,
    ) -> Self {
        Self {
            test,
            min_sample_size: None,
            max_sample_size: None,
            window: None,
            lower_boundary,
            upper_boundary,
        }
    }

    /// Checks the model against its test's rules.
    ///
    /// - at least one boundary, every boundary finite;
    /// - `static`: `lower <= upper`, no sample sizes, no window;
    /// - `percentage`, `iqr`, `delta_iqr`: boundaries `>= 0`;
    /// - `z_score`, `t_test`, `log_normal`: boundaries in `[0.5, 1.0)`, sample sizes `>= 2`;
    /// - any other sample size and the window `>= 1`; `min_sample_size <= max_sample_size`.
    ///
    /// # Errors
    ///
    /// The first rule broken, naming the field.
    pub fn validate(&self) -> Result<(), StatsError> {
        if self.lower_boundary.is_none() && self.upper_boundary.is_none() {
            return Err(StatsError::NoBoundary);
        }
        let sides = [
            ("lower_boundary", self.lower_boundary),
            ("upper_boundary", self.upper_boundary),
        ];
        for (field, boundary) in sides {
            if let Some(value) = boundary {
                self.validate_boundary(field, value)?;
            }
        }
        if self.test == ThresholdTest::Static {
            return self.validate_static();
        }
        let min_size = if self.test.is_distribution() { 2 } else { 1 };
        let sizes = [
            ("min_sample_size", self.min_sample_size, min_size),
            ("max_sample_size", self.max_sample_size, min_size),
            ("window", self.window, 1),
        ];
        for (field, size, min) in sizes {
            match size {
                Some(value) if value < min => {
                    return Err(StatsError::TooSmall {
                        field,
                        test: self.test,
                        min,
                        value,
                    });
                }
                _ => {}
            }
        }
        if let (Some(min), Some(max)) = (self.min_sample_size, self.max_sample_size)
            && min > max
        {
            return Err(StatsError::MinAboveMax { min, max });
        }
        Ok(())
    }

    fn validate_boundary(&self, field: &'static str, value: f64) -> Result<(), StatsError> {
        if !value.is_finite() {
            return Err(StatsError::NotFinite { field, value });
        }
        let test = self.test;
        match test {
            ThresholdTest::Static => Ok(()),
            ThresholdTest::Percentage | ThresholdTest::Iqr | ThresholdTest::DeltaIqr => {
                if value < 0.0 {
                    Err(StatsError::Negative { field, test, value })
                } else {
                    Ok(())
                }
            }
            ThresholdTest::ZScore | ThresholdTest::TTest | ThresholdTest::LogNormal => {
                if (0.5..1.0).contains(&value) {
                    Ok(())
                } else {
                    Err(StatsError::NotAProbability { field, test, value })
                }
            }
        }
    }

    fn validate_static(&self) -> Result<(), StatsError> {
        let test = self.test;
        let unused = [
            ("min_sample_size", self.min_sample_size),
            ("max_sample_size", self.max_sample_size),
            ("window", self.window),
        ];
        for (field, value) in unused {
            if value.is_some() {
                return Err(StatsError::NotAllowed { field, test });
            }
        }
        if let (Some(lower), Some(upper)) = (self.lower_boundary, self.upper_boundary)
            && lower > upper
        {
            return Err(StatsError::LowerAboveUpper { lower, upper });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(model: Model) -> String {
        model
            .validate()
            .map_or_else(|e| e.to_string(), |()| "valid".into())
    }

    #[test]
    fn accepts_bencher_style_models() {
        for test in ThresholdTest::ALL {
            let b = if test.is_distribution() { 0.99 } else { 0.5 };
            assert_eq!(
                message(Model::new(test, Some(b), Some(b))),
                "valid",
                "{test}"
            );
            assert_eq!(message(Model::new(test, None, Some(b))), "valid", "{test}");
        }
        let sized = Model {
            min_sample_size: Some(2),
            max_sample_size: Some(64),
            window: Some(86_400),
            ..Model::new(ThresholdTest::TTest, None, Some(0.5))
        };
        assert_eq!(message(sized), "valid");
        assert_eq!(
            message(Model::new(ThresholdTest::Static, Some(-3.0), Some(-3.0))),
            "valid"
        );
    }

    #[test]
    fn needs_a_finite_boundary() {
        assert_eq!(
            message(Model::new(ThresholdTest::Iqr, None, None)),
            "lower_boundary or upper_boundary: at least one boundary must be set"
        );
        assert_eq!(
            message(Model::new(ThresholdTest::Static, Some(f64::NAN), None)),
            "lower_boundary: must be a finite number, got NaN"
        );
    }

    #[test]
    fn boundary_ranges_per_test() {
        assert_eq!(
            message(Model::new(ThresholdTest::Percentage, None, Some(-0.1))),
            "upper_boundary: must be >= 0 for the percentage test, got -0.1"
        );
        assert_eq!(
            message(Model::new(ThresholdTest::DeltaIqr, Some(-1.0), None)),
            "lower_boundary: must be >= 0 for the delta_iqr test, got -1"
        );
        for bad in [0.49, 1.0, 2.0] {
            let error = Model::new(ThresholdTest::ZScore, Some(bad), None).validate();
            assert!(matches!(
                error,
                Err(StatsError::NotAProbability {
                    field: "lower_boundary",
                    ..
                })
            ));
        }
        assert_eq!(
            message(Model::new(ThresholdTest::LogNormal, None, Some(1.0))),
            "upper_boundary: must be in [0.5, 1.0) for the log_normal test, got 1"
        );
    }

    #[test]
    fn static_rules() {
        assert_eq!(
            message(Model::new(ThresholdTest::Static, Some(2.0), Some(1.0))),
            "lower_boundary: must be <= upper_boundary for the static test, got 2 > 1"
        );
        let windowed = Model {
            window: Some(60),
            ..Model::new(ThresholdTest::Static, None, Some(1.0))
        };
        assert_eq!(
            message(windowed),
            "window: must not be set for the static test"
        );
        let sized = Model {
            min_sample_size: Some(2),
            ..windowed
        };
        assert_eq!(
            message(sized),
            "min_sample_size: must not be set for the static test"
        );
    }

    #[test]
    fn sample_size_rules() {
        let t = Model::new(ThresholdTest::TTest, None, Some(0.9));
        assert_eq!(
            message(Model {
                min_sample_size: Some(1),
                ..t
            }),
            "min_sample_size: must be >= 2 for the t_test test, got 1"
        );
        assert_eq!(
            message(Model {
                max_sample_size: Some(1),
                ..t
            }),
            "max_sample_size: must be >= 2 for the t_test test, got 1"
        );
        let p = Model::new(ThresholdTest::Percentage, None, Some(0.1));
        assert_eq!(
            message(Model {
                min_sample_size: Some(1),
                ..p
            }),
            "valid"
        );
        assert_eq!(
            message(Model {
                max_sample_size: Some(0),
                ..p
            }),
            "max_sample_size: must be >= 1 for the percentage test, got 0"
        );
        assert_eq!(
            message(Model {
                window: Some(0),
                ..p
            }),
            "window: must be >= 1 for the percentage test, got 0"
        );
        assert_eq!(
            message(Model {
                min_sample_size: Some(10),
                max_sample_size: Some(5),
                ..p
            }),
            "min_sample_size: must be <= max_sample_size, got 10 > 5"
        );
    }
}
