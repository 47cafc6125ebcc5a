//! Alerts: a metric outside its boundary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::report::{JsonBenchmark, JsonBoundary, JsonMeasure, JsonReportMetric};
use crate::ids::{AlertUuid, ReportUuid};

/// Which limit a metric crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryLimit {
    /// Below the lower limit.
    Lower,
    /// Above the upper limit.
    Upper,
}

/// An alert's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Raised and not handled.
    Active,
    /// A user dismissed it.
    Dismissed,
    /// Silenced (its threshold changed or was removed).
    Silenced,
}

/// An alert, as `GET /v0/projects/{p}/alerts` and reports show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonAlert {
    /// The alert.
    pub uuid: AlertUuid,
    /// The report whose metric raised it.
    pub report: ReportUuid,
    /// Which limit the metric crossed.
    pub limit: BoundaryLimit,
    /// Its state.
    pub status: AlertStatus,
    /// The benchmark.
    pub benchmark: JsonBenchmark,
    /// The measure.
    pub measure: JsonMeasure,
    /// The metric that crossed the limit.
    pub metric: JsonReportMetric,
    /// The boundary it crossed.
    pub boundary: JsonBoundary,
    /// When it was raised.
    pub created: DateTime<Utc>,
    /// When its status last changed.
    pub modified: DateTime<Utc>,
}

/// The status a user may give an alert (`silenced` is the system's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateAlertStatus {
    /// Back to active.
    Active,
    /// Dismissed.
    Dismissed,
}

impl From<UpdateAlertStatus> for AlertStatus {
    fn from(status: UpdateAlertStatus) -> Self {
        match status {
            UpdateAlertStatus::Active => Self::Active,
            UpdateAlertStatus::Dismissed => Self::Dismissed,
        }
    }
}

/// `PATCH /v0/projects/{p}/alerts/{a}`: change an alert's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonUpdateAlert {
    /// The new status; absent: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UpdateAlertStatus>,
}
