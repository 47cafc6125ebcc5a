//! What a job produced: per-iteration results with output inline or in the object store.

use serde::{Deserialize, Serialize};

use crate::image::Digest;
use crate::values::{Cmd, Entrypoint, EnvVars, FilePath, FilePaths, Iterations};

/// Text output carried in the message, or a reference to an object in the outputs store
/// (`<P>_OUTPUTS`) when it is larger than [`OutputRef::INLINE_MAX`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutputRef {
    /// The text itself (UTF-8, lossy).
    Inline {
        /// The text.
        text: String,
    },
    /// An object in the outputs store.
    Object {
        /// The object store bucket.
        bucket: String,
        /// The object's name.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// Its sha256 digest, to verify what is read back.
        digest: Digest,
    },
}

impl OutputRef {
    /// The largest output sent inline, in bytes; larger goes to the object store (messages are
    /// limited to 1 MiB and one result may hold several outputs).
    pub const INLINE_MAX: usize = 64 * 1024;

    /// Inline text.
    pub fn inline(text: impl Into<String>) -> Self {
        Self::Inline { text: text.into() }
    }

    /// The output's size in bytes.
    pub fn size(&self) -> u64 {
        match self {
            Self::Inline { text } => u64::try_from(text.len()).unwrap_or(u64::MAX),
            Self::Object { size, .. } => *size,
        }
    }
}

impl Default for OutputRef {
    fn default() -> Self {
        Self::inline("")
    }
}

/// An output file a job left (`file_paths`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// The path the job was asked for.
    pub path: FilePath,
    /// Its size in bytes (the `file-size` measure).
    pub size: u64,
    /// Its content.
    pub content: OutputRef,
}

/// The result of one iteration of a job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IterationResult {
    /// The container's exit code (128 + signal when killed; 137 on an out-of-memory kill).
    pub exit_code: i32,
    /// Standard output.
    pub stdout: OutputRef,
    /// Standard error.
    pub stderr: OutputRef,
    /// Output files, when the job has `file_paths`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<OutputFile>,
    /// Wall time of the container, in nanoseconds (the `build-time` measure).
    pub wall_time_ns: u64,
    /// CPU time used, in nanoseconds, when the runtime reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_time_ns: Option<u64>,
    /// Peak memory in bytes, when the runtime reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_memory_bytes: Option<u64>,
    /// Whether an output cap cut any output of this iteration short.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// How a job runs its image: the user's overrides and options, without the resolved values
/// (image digest, spec, timeout) that travel beside it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobConfig {
    /// Replaces the image's entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Entrypoint>,
    /// Replaces the image's cmd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Cmd>,
    /// Extra environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<EnvVars>,
    /// Output files to collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_paths: Option<FilePaths>,
    /// How many iterations to run.
    #[serde(default)]
    pub iter: Iterations,
    /// Report wall time as the `build-time` measure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub build_time: bool,
    /// Report output file sizes as the `file-size` measure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub file_size: bool,
    /// Keep results of a non-zero exit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_failure: bool,
}

impl From<&crate::json::JsonNewRunJob> for JobConfig {
    fn from(job: &crate::json::JsonNewRunJob) -> Self {
        Self {
            entrypoint: job.entrypoint.clone(),
            cmd: job.cmd.clone(),
            env: job.env.clone(),
            file_paths: job.file_paths.clone(),
            iter: job.iter.unwrap_or_default(),
            build_time: job.build_time.unwrap_or(false),
            file_size: job.file_size.unwrap_or(false),
            allow_failure: job.allow_failure.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_config_takes_defaults_from_a_new_run_job() {
        let job: crate::json::JsonNewRunJob =
            serde_json::from_str(r#"{"image":"demo:v1","cmd":["./bench"],"build_time":true}"#)
                .unwrap();
        let config = JobConfig::from(&job);
        assert_eq!(config.iter.get(), 1);
        assert!(config.build_time && !config.file_size && !config.allow_failure);
        assert_eq!(config.cmd.as_deref(), Some(&["./bench".to_owned()][..]));
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"cmd":["./bench"],"iter":1,"build_time":true})
        );
    }

    #[test]
    fn output_sizes() {
        assert_eq!(OutputRef::inline("héllo").size(), 6);
        let object: OutputRef = serde_json::from_value(serde_json::json!({
            "kind": "object", "bucket": "B", "name": "n", "size": 9,
            "digest": format!("sha256:{}", "0".repeat(64)),
        }))
        .unwrap();
        assert_eq!(object.size(), 9);
    }
}
