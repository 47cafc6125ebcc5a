//! `POST /v0/run`: a new run, with raw results (local flow) or an image job.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::adapter::JsonRunSettings;
use super::threshold::JsonNewRunThresholds;
use crate::error::ValidationError;
use crate::image::ImageReference;
use crate::values::{
    Cmd, Entrypoint, EnvVars, FilePaths, GitHash, Iterations, NameId, ResourceId, Timeout,
};

/// The body of `POST /v0/run`, in Bencher's shape. Project, branch and testbed are looked up
/// by UUID, slug or name and created when missing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonNewRun {
    /// The project; the server may create an unclaimed project when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<NameId>,
    /// The branch (default `main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<NameId>,
    /// The commit the results belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<GitHash>,
    /// Where a new branch starts from (its history and thresholds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_point: Option<JsonStartPoint>,
    /// The testbed (default `localhost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub testbed: Option<NameId>,
    /// Thresholds to create or update for this branch and testbed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<JsonNewRunThresholds>,
    /// When the benchmarks started (default: when the server received the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    /// When the benchmarks ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    /// Raw harness output, one string per iteration; the server runs the adapter. Empty when
    /// `job` is set: the job produces the output.
    #[serde(default)]
    pub results: Vec<String>,
    /// Adapter, average and fold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<JsonRunSettings>,
    /// Free-form context of the run (CI provider, repository, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<BTreeMap<String, String>>,
    /// Run an image on a runner instead of submitting results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JsonNewRunJob>,
}

impl JsonNewRun {
    /// Check what the types cannot: results or a job (not both), ordered times, valid
    /// thresholds.
    pub fn validate(&self) -> Result<(), ValidationError> {
        match (&self.job, self.results.is_empty()) {
            (None, true) => {
                return Err(ValidationError::invalid(
                    "results",
                    "empty: send raw harness output or a job",
                ));
            }
            (Some(_), false) => {
                return Err(ValidationError::invalid(
                    "results",
                    "must be empty when a job produces them",
                ));
            }
            _ => {}
        }
        if let (Some(start), Some(end)) = (self.start_time, self.end_time)
            && end < start
        {
            return Err(ValidationError::invalid(
                "end_time",
                format!("{end} is before start_time {start}"),
            ));
        }
        if let Some(thresholds) = &self.thresholds {
            thresholds.validate()?;
        }
        Ok(())
    }
}

/// A new branch's start point: copy history (and thresholds) from another branch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonStartPoint {
    /// The branch to start from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<NameId>,
    /// The commit of the start-point branch to start from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<GitHash>,
    /// How many versions of history to copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_versions: Option<u32>,
    /// Also copy the start point's thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clone_thresholds: Option<bool>,
    /// Reset the branch to the start point even if it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset: Option<bool>,
}

/// The job of a new run: which image to run, where and how (Bencher's `JsonNewRunJob`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonNewRunJob {
    /// The image; without registry it names the built-in registry.
    pub image: ImageReference,
    /// The hardware spec (default: the testbed's spec, else the default spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ResourceId>,
    /// Replaces the image's entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Entrypoint>,
    /// Replaces the image's cmd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Cmd>,
    /// Extra environment, `KEY=VALUE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<EnvVars>,
    /// Timeout in seconds; the tier caps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Timeout>,
    /// Files the benchmark writes its results to, read instead of stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_paths: Option<FilePaths>,
    /// How many times to run the benchmark (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iter: Option<Iterations>,
    /// Report the run's wall time as the `build-time` measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_time: Option<bool>,
    /// Report the sizes of `file_paths` as the `file-size` measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<bool>,
    /// Keep the results even when the benchmark exits non-zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_failure: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_needs_results_or_a_job() {
        let mut run: JsonNewRun = serde_json::from_str(r#"{"results":[]}"#).unwrap();
        let err = run.validate().unwrap_err().to_string();
        assert!(err.starts_with("invalid results"), "{err}");
        run.job = Some(serde_json::from_str(r#"{"image":"demo:v1"}"#).unwrap());
        run.validate().unwrap();
        run.results.push("{}".to_owned());
        assert!(run.validate().is_err());
    }

    #[test]
    fn bad_job_fields_are_refused_by_name() {
        let cases = [
            (r#"{"image":"Demo:v1"}"#, "invalid image"),
            (r#"{"image":"demo:v1","timeout":0}"#, "invalid timeout"),
            (r#"{"image":"demo:v1","env":["NOVALUE"]}"#, "invalid env"),
            (
                r#"{"image":"demo:v1","file_paths":["../x"]}"#,
                "invalid file_paths",
            ),
            (r#"{"image":"demo:v1","iter":0}"#, "invalid iter"),
            (
                r#"{"image":"demo:v1","spec":"Not A Slug"}"#,
                "invalid resource id",
            ),
        ];
        for (json, expected) in cases {
            let err = serde_json::from_str::<JsonNewRunJob>(json)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn times_must_be_ordered() {
        let run: JsonNewRun = serde_json::from_str(
            r#"{"results":["x"],"start_time":"2025-01-02T00:00:00Z","end_time":"2025-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let err = run.validate().unwrap_err().to_string();
        assert!(err.starts_with("invalid end_time"), "{err}");
    }
}
