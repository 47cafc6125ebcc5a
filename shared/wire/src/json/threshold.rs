//! Threshold models: the statistical test and boundaries that decide when a metric alerts.

use std::collections::BTreeMap;

pub use bencher_stats::ThresholdTest;
use bencher_stats::{Model, StatsError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::report::{JsonBranchRef, JsonMeasure, JsonTestbedRef};
use crate::error::ValidationError;
use crate::ids::{ModelUuid, ProjectUuid, ThresholdUuid};
use crate::values::NameId;

/// A threshold's model: the test, how much history it uses and its boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonThresholdModel {
    /// The statistical test.
    pub test: ThresholdTest,
    /// Fewest historical metrics before the test applies.
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
    /// Check the rules JSON cannot, with `bencher-stats`' [`Model::validate`] (the one rule
    /// set: at least one finite boundary; `static`: lower ≤ upper, no sample sizes or window;
    /// `percentage`, `iqr`, `delta_iqr`: boundaries ≥ 0; `z_score`, `t_test`, `log_normal`:
    /// boundaries in [0.5, 1), sample sizes ≥ 2; sizes and window ≥ 1; min ≤ max). The error
    /// names the field at fault.
    pub fn validate(&self) -> Result<(), ValidationError> {
        Model::from(*self)
            .validate()
            .map_err(|e| stats_error(self.test, &e))
    }
}

/// A [`StatsError`] as a [`ValidationError`] naming the field (without repeating it).
fn stats_error(test: ThresholdTest, err: &StatsError) -> ValidationError {
    let field = match err {
        StatsError::NotFinite { field, .. }
        | StatsError::Negative { field, .. }
        | StatsError::NotAProbability { field, .. }
        | StatsError::NotAllowed { field, .. }
        | StatsError::TooSmall { field, .. } => *field,
        StatsError::LowerAboveUpper { .. } => "lower_boundary",
        StatsError::MinAboveMax { .. } => "min_sample_size",
        StatsError::NoBoundary => {
            return ValidationError::invalid(
                "threshold",
                format!("a {test} threshold needs a lower or an upper boundary"),
            );
        }
        StatsError::Normal(_) | StatsError::StudentsT(_) | StatsError::LogNormal(_) => "threshold",
    };
    let message = err.to_string();
    let reason = message
        .strip_prefix(field)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&message);
    ValidationError::invalid(field, reason)
}

impl From<JsonThresholdModel> for Model {
    fn from(m: JsonThresholdModel) -> Self {
        Self {
            test: m.test,
            min_sample_size: m.min_sample_size,
            max_sample_size: m.max_sample_size,
            window: m.window,
            lower_boundary: m.lower_boundary,
            upper_boundary: m.upper_boundary,
        }
    }
}

impl From<Model> for JsonThresholdModel {
    fn from(m: Model) -> Self {
        Self {
            test: m.test,
            min_sample_size: m.min_sample_size,
            max_sample_size: m.max_sample_size,
            window: m.window,
            lower_boundary: m.lower_boundary,
            upper_boundary: m.upper_boundary,
        }
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

/// `POST /v0/projects/{p}/thresholds`: a threshold on a branch, testbed and measure (each by
/// UUID, slug or name; they must exist) with its first model. `PUT .../thresholds/{t}` takes a
/// [`JsonThresholdModel`] alone: a new model version, the old one kept and marked replaced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonNewThreshold {
    /// The branch.
    pub branch: NameId,
    /// The testbed.
    pub testbed: NameId,
    /// The measure.
    pub measure: NameId,
    /// The model, its fields at the top level (Bencher's shape).
    #[serde(flatten)]
    pub model: JsonThresholdModel,
}

/// One version of a threshold's model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonModel {
    /// The version.
    pub uuid: ModelUuid,
    /// Its threshold.
    pub threshold: ThresholdUuid,
    /// The model, its fields at the top level (Bencher's shape).
    #[serde(flatten)]
    pub model: JsonThresholdModel,
    /// When this version was made.
    pub created: DateTime<Utc>,
    /// When a newer version (or a reset) took over; absent while current.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced: Option<DateTime<Utc>>,
}

/// A threshold, as `/v0/projects/{p}/thresholds` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonThreshold {
    /// The threshold.
    pub uuid: ThresholdUuid,
    /// Its project.
    pub project: ProjectUuid,
    /// Its branch.
    pub branch: JsonBranchRef,
    /// Its testbed.
    pub testbed: JsonTestbedRef,
    /// Its measure.
    pub measure: JsonMeasure,
    /// The current model; absent when `--thresholds-reset` retired it (no boundaries then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<JsonModel>,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When its model last changed.
    pub modified: DateTime<Utc>,
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

    #[test]
    fn the_rules_are_the_stats_rules() {
        // Rules wire once had apart from bencher-stats: static takes no sizes or window, and
        // non-distribution tests accept a minimum sample size of 1.
        let mut m = model(ThresholdTest::Static, None, Some(5.0));
        m.window = Some(60);
        let err = m.validate().unwrap_err();
        assert_eq!(err.field(), Some("window"));
        assert_eq!(
            err.to_string(),
            "invalid window: must not be set for the static test"
        );
        let mut p = model(ThresholdTest::Percentage, None, Some(0.1));
        p.min_sample_size = Some(1);
        assert!(p.validate().is_ok());
        for test in ThresholdTest::ALL {
            for b in [-1.0, 0.0, 0.3, 0.5, 0.99, 1.0, 2.0] {
                let m = model(test, Some(b), None);
                assert_eq!(
                    m.validate().is_ok(),
                    Model::from(m).validate().is_ok(),
                    "{test} {b}"
                );
            }
        }
    }

    #[test]
    fn a_new_threshold_has_the_model_at_the_top_level() {
        let json = r#"{"branch": "main", "testbed": "ci", "measure": "latency",
            "test": "t_test", "max_sample_size": 64, "upper_boundary": 0.99}"#;
        let t: JsonNewThreshold = serde_json::from_str(json).unwrap();
        assert_eq!(t.measure.to_string(), "latency");
        assert_eq!(t.model.test, ThresholdTest::TTest);
        assert_eq!(t.model.max_sample_size, Some(64));
        assert_eq!(t.model.upper_boundary, Some(0.99));
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["test"], "t_test");
        assert!(back.get("model").is_none());
    }
}
