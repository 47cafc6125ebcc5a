//! Typed identifiers: a `JobUuid` can never be passed where a `ReportUuid` is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ValidationError;

macro_rules! typed_uuid {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random, time-ordered (v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The identifier as a plain UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // Hyphenated lowercase: also a valid NATS subject token.
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| ValidationError::Uuid {
                    what: $what,
                    value: crate::error::truncate_for_message(s),
                })
            }
        }
    };
}

typed_uuid!(
    /// An organization: owns projects, sets the priority tier.
    OrganizationUuid,
    "organization"
);
typed_uuid!(
    /// A project: owns branches, testbeds, thresholds and reports.
    ProjectUuid,
    "project"
);
typed_uuid!(
    /// A branch of a project.
    BranchUuid,
    "branch"
);
typed_uuid!(
    /// A testbed of a project.
    TestbedUuid,
    "testbed"
);
typed_uuid!(
    /// A report: the results of one run.
    ReportUuid,
    "report"
);
typed_uuid!(
    /// A job: one run of a benchmark image on a runner.
    JobUuid,
    "job"
);
typed_uuid!(
    /// A runner daemon.
    RunnerUuid,
    "runner"
);
typed_uuid!(
    /// A hardware spec runners serve and jobs request.
    SpecUuid,
    "spec"
);
typed_uuid!(
    /// A benchmark of a project.
    BenchmarkUuid,
    "benchmark"
);
typed_uuid!(
    /// A measure of a project (latency, throughput, ...).
    MeasureUuid,
    "measure"
);
typed_uuid!(
    /// A metric: one measured value.
    MetricUuid,
    "metric"
);
typed_uuid!(
    /// A threshold on (branch, testbed, measure).
    ThresholdUuid,
    "threshold"
);
typed_uuid!(
    /// A version of a threshold's statistical model.
    ModelUuid,
    "model"
);
typed_uuid!(
    /// A boundary computed for a metric.
    BoundaryUuid,
    "boundary"
);
typed_uuid!(
    /// An alert raised on a metric outside its boundary.
    AlertUuid,
    "alert"
);
typed_uuid!(
    /// An API token.
    TokenUuid,
    "token"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays_the_same_text() {
        let id = JobUuid::new();
        let parsed: JobUuid = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
    }

    #[test]
    fn rejects_garbage_naming_the_kind() {
        let err = "not-a-uuid".parse::<ReportUuid>().unwrap_err();
        assert!(err.to_string().contains("report"), "{err}");
    }
}
