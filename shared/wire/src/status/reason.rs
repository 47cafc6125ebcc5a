//! Why a job failed or was canceled, and who asked.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{RunnerUuid, TokenUuid};
use crate::image::ImageReference;
use crate::values::Timeout;

/// Why a job failed. Serialized with a `kind` tag; [`FailureReason::message`] is the text for
/// humans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FailureReason {
    /// The registry has no such repository, tag or digest.
    ImageNotFound {
        /// The reference the user gave.
        image: ImageReference,
    },
    /// The image could not be resolved for another reason (registry unreachable, unsupported
    /// manifest, no manifest for the spec's architecture).
    Resolution {
        /// What went wrong.
        message: String,
    },
    /// No spec matches the request (unknown spec, no default spec, no runner serves it).
    NoSpec {
        /// The spec the user asked for, if any.
        spec: Option<String>,
    },
    /// The runner stopped heart-beating (or the job exhausted its attempts on lost runners).
    /// The only failure a late `completed` may replace.
    RunnerLost {
        /// The runner that held the job.
        runner: RunnerUuid,
        /// Its last heartbeat, if any arrived.
        last_heartbeat: Option<DateTime<Utc>>,
    },
    /// The benchmark exited with a non-zero code (and `allow_failure` was not set).
    ExitCode {
        /// The exit code (128 + signal for a killed process; 137 is an out-of-memory kill).
        exit_code: i32,
    },
    /// The runner could not pull, unpack or start the image.
    Runner {
        /// What went wrong.
        message: String,
    },
    /// The output went over a cap (Bencher: 25 MiB, 255 files).
    OutputTooLarge {
        /// The cap, in bytes.
        limit_bytes: u64,
    },
    /// The adapter could not parse the output into metrics.
    Parse {
        /// What the adapter said.
        message: String,
    },
    /// A bug or an unexpected state in a service.
    Internal {
        /// What went wrong.
        message: String,
    },
}

impl FailureReason {
    /// The reason for a human.
    pub fn message(&self) -> String {
        match self {
            Self::ImageNotFound { image } => format!("image {image} not found"),
            Self::Resolution { message } => format!("cannot resolve the image: {message}"),
            Self::NoSpec { spec: Some(spec) } => format!("no spec {spec:?} to run on"),
            Self::NoSpec { spec: None } => "no default spec to run on".to_owned(),
            Self::RunnerLost { runner, .. } => {
                format!("runner {runner} stopped sending heartbeats")
            }
            Self::ExitCode { exit_code } => format!("the benchmark exited with code {exit_code}"),
            Self::Runner { message } => format!("the runner could not run the image: {message}"),
            Self::OutputTooLarge { limit_bytes } => {
                format!("the output exceeded the limit of {limit_bytes} bytes")
            }
            Self::Parse { message } => format!("cannot parse the output: {message}"),
            Self::Internal { message } => format!("internal error: {message}"),
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Where in the flow a job failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureStage {
    /// Resolving image, spec and priority (resolver).
    Resolution,
    /// Queueing and watching the runner (scheduler).
    Scheduling,
    /// Pulling and unpacking the image (runner).
    Pull,
    /// Running the benchmark (runner).
    Run,
    /// Parsing and storing the results (result-processor).
    Processing,
}

/// Why a job was canceled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CancelReason {
    /// Someone asked.
    Requested {
        /// Who asked.
        by: Actor,
    },
    /// The job ran past its timeout plus grace and was stopped.
    Timeout {
        /// The timeout it had.
        timeout: Timeout,
    },
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requested { by } => write!(f, "canceled by {by}"),
            Self::Timeout { timeout } => write!(f, "timed out after {timeout} s"),
        }
    }
}

/// Who did something to a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A client authenticated with an API token.
    Token {
        /// The token used.
        token: TokenUuid,
    },
    /// An anonymous client (unclaimed project).
    Anonymous {
        /// Its address, when known.
        source_ip: Option<IpAddr>,
    },
    /// A service of the system itself.
    System {
        /// Which service (`scheduler`, ...).
        service: String,
    },
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token { token } => write!(f, "token {token}"),
            Self::Anonymous {
                source_ip: Some(ip),
            } => write!(f, "anonymous client {ip}"),
            Self::Anonymous { source_ip: None } => f.write_str("anonymous client"),
            Self::System { service } => write!(f, "the {service} service"),
        }
    }
}
