//! `bencher run`: Bencher's flags, plus image jobs and live watching.

use std::fmt;
use std::str::FromStr;

use bencher_wire::image::ImageReference;
use bencher_wire::json::{Adapter, Average, Fold, ThresholdTest};
use bencher_wire::values::{EnvVar, GitHash, Iterations, NameId, ResourceId, Timeout};
use clap::{Args, ValueEnum};

use super::{BackendArgs, WatchArgs};

/// How results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// An aligned table for people.
    #[default]
    Human,
    /// The JSON body the server answered, on standard output.
    Json,
}

/// A repeatable flag value where `_` means "leave this field unset" (Bencher's convention for
/// threshold groups).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrUnset<T>(pub Option<T>);

impl<T: FromStr> FromStr for OrUnset<T>
where
    T::Err: fmt::Display,
{
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "_" {
            return Ok(Self(None));
        }
        s.parse::<T>()
            .map(|v| Self(Some(v)))
            .map_err(|e| format!("{e} (use `_` to leave it unset)"))
    }
}

/// Parse a threshold test by its Bencher name (`t_test`, `z_score`, `static`, ...).
pub fn parse_threshold_test(s: &str) -> Result<ThresholdTest, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        format!(
            "unknown threshold test {s:?}: use one of static, percentage, z_score, t_test, \
             log_normal, iqr, delta_iqr"
        )
    })
}

/// The threshold groups: the n-th of each flag belongs to the n-th `--threshold-measure`.
#[derive(Clone, Debug, Default, Args)]
pub struct ThresholdArgs {
    /// A measure (name, slug or UUID) to set a threshold for (repeatable; starts a group).
    #[arg(long)]
    pub threshold_measure: Vec<String>,
    /// The group's statistical test.
    #[arg(long, value_parser = parse_threshold_test)]
    pub threshold_test: Vec<ThresholdTest>,
    /// The group's minimum sample size, or `_`.
    #[arg(long)]
    pub threshold_min_sample_size: Vec<OrUnset<u32>>,
    /// The group's maximum sample size, or `_`.
    #[arg(long)]
    pub threshold_max_sample_size: Vec<OrUnset<u32>>,
    /// The group's window in seconds, or `_`.
    #[arg(long)]
    pub threshold_window: Vec<OrUnset<u32>>,
    /// The group's lower boundary, or `_` for none.
    #[arg(long, allow_negative_numbers = true)]
    pub threshold_lower_boundary: Vec<OrUnset<f64>>,
    /// The group's upper boundary, or `_` for none.
    #[arg(long, allow_negative_numbers = true)]
    pub threshold_upper_boundary: Vec<OrUnset<f64>>,
    /// Remove the branch and testbed's thresholds not named here.
    #[arg(long)]
    pub thresholds_reset: bool,
}

/// `bencher run`.
#[derive(Clone, Debug, Args)]
pub struct RunArgs {
    /// The server.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// The project (UUID, slug or name).
    #[arg(long, env = "BENCHER_PROJECT")]
    pub project: Option<NameId>,
    /// The branch (UUID, slug or name; default `main`).
    #[arg(long, env = "BENCHER_BRANCH")]
    pub branch: Option<NameId>,
    /// The commit the results belong to.
    #[arg(long)]
    pub hash: Option<GitHash>,
    /// The testbed (UUID, slug or name; default `localhost`).
    #[arg(long, env = "BENCHER_TESTBED")]
    pub testbed: Option<NameId>,
    /// The harness adapter (default `magic`).
    #[arg(long, env = "BENCHER_ADAPTER")]
    pub adapter: Option<Adapter>,
    /// Which statistic becomes the value (`mean` or `median`).
    #[arg(long)]
    pub average: Option<Average>,
    /// How iterations fold into one result (`min`, `max`, `mean`, `median`).
    #[arg(long)]
    pub fold: Option<Fold>,
    /// How many times to run the benchmark.
    #[arg(long)]
    pub iter: Option<Iterations>,
    /// Read results from this file instead of standard output (repeatable with `--image`).
    #[arg(long)]
    pub file: Vec<String>,
    /// Report the run's wall time as `build-time` (image jobs).
    #[arg(long)]
    pub build_time: bool,
    /// Report the sizes of the `--file`s as `file-size` (image jobs).
    #[arg(long)]
    pub file_size: bool,
    /// Threshold groups.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Exit 1 when any alert is raised.
    #[arg(long)]
    pub err: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Run this image on a runner instead of running the command here.
    #[arg(long)]
    pub image: Option<ImageReference>,
    /// The hardware spec of the job (slug or UUID).
    #[arg(long, requires = "image")]
    pub spec: Option<ResourceId>,
    /// Replace the image's entrypoint (repeatable: one argument each).
    #[arg(long, requires = "image", allow_hyphen_values = true)]
    pub entrypoint: Vec<String>,
    /// Extra environment of the job, `KEY=VALUE` (repeatable).
    #[arg(long, requires = "image")]
    pub env: Vec<EnvVar>,
    /// The job's timeout in seconds (the tier caps it).
    #[arg(long, requires = "image")]
    pub job_timeout: Option<Timeout>,
    /// Keep the results even when the benchmark exits non-zero.
    #[arg(long)]
    pub allow_failure: bool,
    /// Submit the job, print its id and how to follow it, and exit.
    #[arg(long, requires = "image")]
    pub detach: bool,
    /// How long to wait for the server to process a local run's results, in seconds.
    #[arg(long, default_value_t = 60)]
    pub report_timeout: u64,
    /// How to watch an image job.
    #[command(flatten)]
    pub watch: WatchArgs,
    /// The benchmark command (the image's cmd with `--image`).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}
