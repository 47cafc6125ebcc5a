//! Threshold models: the statistical test and boundaries that decide when a metric alerts.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// The statistical test of a threshold (Bencher's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdTest {
    /// Fixed limits: the boundaries are the limits.
    Static,
    /// Percentage above/below the baseline mean; boundaries are fractions (0.1 = 10 %).
    Percentage,
    /// z-score; boundaries are percentiles in [0.5, 1).
    ZScore,
    /// Student's t; boundaries are percentiles in [0.5, 1).
    TTest,
    /// Log-normal; boundaries are percentiles in [0.5, 1).
    LogNormal,
    /// Interquartile range; boundaries are multipliers of the IQR.
    Iqr,
    /// Delta interquartile range; boundaries are multipliers of the delta IQR.
    DeltaIqr,
}

impl ThresholdTest {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Static => "static",
            Self::Percentage => "percentage",
            Self::ZScore => "z_score",
            Self::TTest => "t_test",
            Self::LogNormal => "log_normal",
            Self::Iqr => "iqr",
            Self::DeltaIqr => "delta_iqr",
        }
    }

    /// Whether `boundary` is meaningful for this test.
    pub fn accepts_boundary(self, boundary: f64) -> bool {
        boundary.is_finite()
            && match self {
                Self::Static => true,
                Self::Percentage | Self::Iqr | Self::DeltaIqr => boundary >= 0.0,
                Self::ZScore | Self::TTest | Self::LogNormal => (0.5..1.0).contains(&boundary),
            }
    }
}

impl fmt::Display for ThresholdTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A threshold's model: the test, how much history it uses and its boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonThresholdModel {
    /// The statistical test.
    pub test: ThresholdTest,
    /// Fewest historical metrics before the test applies (at least 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_sample_size: Option<u32>,
    /// Most historical metrics used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_sample_size: Option<u32>,
    /// How far back history goes, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    /// The lower boundary (meaning depends on the test); none: no lower limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_boundary: Option<f64>,
    /// The upper boundary (meaning depends on the test); none: no upper limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_boundary: Option<f64>,
}

impl JsonThresholdModel {
    /// Check the rules JSON cannot: at least one boundary, each in the test's range, sample
    /// sizes ordered, window positive.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let test = self.test;
        if self.lower_boundary.is_none() && self.upper_boundary.is_none() {
            return Err(ValidationError::invalid(
                "threshold",
                format!("a {test} threshold needs a lower or an upper boundary"),
            ));
        }
        for (what, boundary) in [
            ("lower_boundary", self.lower_boundary),
            ("upper_boundary", self.upper_boundary),
        ] {
            if let Some(b) = boundary.filter(|b| !test.accepts_boundary(*b)) {
                let range = match test {
                    ThresholdTest::Static => "a finite number",
                    ThresholdTest::Percentage | ThresholdTest::Iqr | ThresholdTest::DeltaIqr => {
                        "at least 0"
                    }
                    _ => "in [0.5, 1)",
                };
                return Err(ValidationError::invalid(
                    what,
                    format!("{b} is not valid for {test}: use {range}"),
                ));
            }
        }
        if let (ThresholdTest::Static, Some(lower), Some(upper)) =
            (test, self.lower_boundary, self.upper_boundary)
            && lower > upper
        {
            return Err(ValidationError::invalid(
                "lower_boundary",
                format!("{lower} is above the upper boundary {upper}"),
            ));
        }
        if self.min_sample_size.is_some_and(|n| n < 2) {
            return Err(ValidationError::invalid(
                "min_sample_size",
                "must be at least 2",
            ));
        }
        if let (Some(min), Some(max)) = (self.min_sample_size, self.max_sample_size)
            && max < min
        {
            return Err(ValidationError::invalid(
                "max_sample_size",
                format!("{max} is below min_sample_size {min}"),
            ));
        }
        if self.max_sample_size.is_some_and(|n| n < 2) {
            return Err(ValidationError::invalid(
                "max_sample_size",
                "must be at least 2",
            ));
        }
        if self.window == Some(0) {
            return Err(ValidationError::invalid(
                "window",
                "must be at least 1 second",
            ));
        }
        Ok(())
    }
}

/// The thresholds of a new run: a model per measure (name, slug or UUID), created or updated
/// for the run's branch and testbed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonNewRunThresholds {
    /// Models by measure.
    #[serde(default)]
    pub models: BTreeMap<String, JsonThresholdModel>,
    /// Remove thresholds of the branch and testbed not named in `models`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<bool>,
}

impl JsonNewRunThresholds {
    /// Validate every model; the error names the measure.
    pub fn validate(&self) -> Result<(), ValidationError> {
        for (measure, model) in &self.models {
            if measure.trim().is_empty() {
                return Err(ValidationError::invalid("thresholds", "empty measure name"));
            }
            model.validate().map_err(|e| {
                ValidationError::invalid(
                    "thresholds",
                    format!(
                        "measure {:?}: {e}",
                        crate::error::truncate_for_message(measure)
                    ),
                )
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(test: ThresholdTest, lower: Option<f64>, upper: Option<f64>) -> JsonThresholdModel {
        JsonThresholdModel {
            test,
            min_sample_size: None,
            max_sample_size: None,
            window: None,
            lower_boundary: lower,
            upper_boundary: upper,
        }
    }

    #[test]
    fn boundaries_follow_the_test() {
        assert!(
            model(ThresholdTest::TTest, None, Some(0.99))
                .validate()
                .is_ok()
        );
        assert!(
            model(ThresholdTest::Static, Some(-5.0), Some(5.0))
                .validate()
                .is_ok()
        );
        assert!(
            model(ThresholdTest::Percentage, Some(0.1), None)
                .validate()
                .is_ok()
        );
        let cases = [
            (
                model(ThresholdTest::TTest, None, Some(1.0)),
                "upper_boundary",
            ),
            (
                model(ThresholdTest::ZScore, Some(0.4), None),
                "lower_boundary",
            ),
            (
                model(ThresholdTest::Iqr, Some(-1.0), None),
                "lower_boundary",
            ),
            (
                model(ThresholdTest::Static, Some(2.0), Some(1.0)),
                "lower_boundary",
            ),
            (
                model(ThresholdTest::Static, None, Some(f64::NAN)),
                "upper_boundary",
            ),
            (model(ThresholdTest::LogNormal, None, None), "threshold"),
        ];
        for (m, field) in cases {
            let err = m.validate().unwrap_err().to_string();
            assert!(err.starts_with(&format!("invalid {field}")), "{err}");
        }
    }

    #[test]
    fn sample_sizes_and_window_are_checked() {
        let mut m = model(ThresholdTest::TTest, None, Some(0.95));
        m.min_sample_size = Some(1);
        assert!(
            m.validate()
                .unwrap_err()
                .to_string()
                .contains("min_sample_size")
        );
        m.min_sample_size = Some(10);
        m.max_sample_size = Some(5);
        assert!(
            m.validate()
                .unwrap_err()
                .to_string()
                .contains("max_sample_size")
        );
        m.max_sample_size = Some(64);
        m.window = Some(0);
        assert!(m.validate().unwrap_err().to_string().contains("window"));
    }

    #[test]
    fn thresholds_name_the_measure() {
        let mut t = JsonNewRunThresholds::default();
        t.models.insert(
            "latency".to_owned(),
            model(ThresholdTest::TTest, None, Some(2.0)),
        );
        let err = t.validate().unwrap_err().to_string();
        assert!(
            err.contains("latency") && err.contains("upper_boundary"),
            "{err}"
        );
    }
}
