//! `JsonReport`: a run's results with boundaries and alerts, in Bencher's shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::adapter::Adapter;
use super::alert::{AlertStatus, BoundaryLimit, JsonAlert};
use super::job::JsonJob;
use super::threshold::JsonThresholdModel;
use crate::ids::{
    AlertUuid, BenchmarkUuid, BranchUuid, MeasureUuid, MetricUuid, ProjectUuid, ReportUuid,
    TestbedUuid, ThresholdUuid,
};
use crate::slug::Slug;
use crate::values::{GitHash, ResourceName};

/// A named resource as reports show it: UUID, display name and slug.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonResourceRef<Id> {
    /// Its UUID.
    pub uuid: Id,
    /// Its display name.
    pub name: ResourceName,
    /// Its slug.
    pub slug: Slug,
}

/// A project in a report.
pub type JsonProjectRef = JsonResourceRef<ProjectUuid>;
/// A branch in a report.
pub type JsonBranchRef = JsonResourceRef<BranchUuid>;
/// A testbed in a report.
pub type JsonTestbedRef = JsonResourceRef<TestbedUuid>;

/// A benchmark. Its name is kept exactly as the harness printed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonBenchmark {
    /// Its UUID.
    pub uuid: BenchmarkUuid,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: Slug,
}

/// A measure: what is measured, in which units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonMeasure {
    /// Its UUID.
    pub uuid: MeasureUuid,
    /// Its display name (`Latency`).
    pub name: ResourceName,
    /// Its slug (`latency`).
    pub slug: Slug,
    /// Its units (`nanoseconds (ns)`).
    pub units: String,
}

/// One stored metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonReportMetric {
    /// Its UUID, once stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<MetricUuid>,
    /// The value.
    pub value: f64,
    /// The lower bound the harness reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_value: Option<f64>,
    /// The upper bound the harness reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_value: Option<f64>,
}

/// The limits a threshold computed for one metric from its history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonBoundary {
    /// The historical baseline (mean or median).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// Below this the metric alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_limit: Option<f64>,
    /// Above this the metric alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_limit: Option<f64>,
}

/// The threshold that applied to a metric, with the model version used.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonReportThreshold {
    /// The threshold.
    pub uuid: ThresholdUuid,
    /// Its model at the time.
    pub model: JsonThresholdModel,
}

/// The alert a metric raised, in short.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonReportAlert {
    /// The alert.
    pub uuid: AlertUuid,
    /// Which limit the metric crossed.
    pub limit: BoundaryLimit,
    /// The alert's status.
    pub status: AlertStatus,
}

/// One measure of one benchmark in one iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonReportMeasure {
    /// The measure.
    pub measure: JsonMeasure,
    /// The metric.
    pub metric: JsonReportMetric,
    /// The threshold that applied, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<JsonReportThreshold>,
    /// The boundary it computed, if it had enough history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<JsonBoundary>,
    /// The alert raised, if the metric crossed a limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<JsonReportAlert>,
}

/// One benchmark's measures in one iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonReportResult {
    /// The benchmark.
    pub benchmark: JsonBenchmark,
    /// Its measures.
    pub measures: Vec<JsonReportMeasure>,
}

/// A report: the results of one run. For an image run it is returned at once with empty
/// `results` and `job` set; results, alerts and `end_time` fill in when the job is processed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonReport {
    /// The report.
    pub uuid: ReportUuid,
    /// Its project.
    pub project: JsonProjectRef,
    /// Its branch.
    pub branch: JsonBranchRef,
    /// Its testbed.
    pub testbed: JsonTestbedRef,
    /// The commit the results belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<GitHash>,
    /// When the benchmarks started.
    pub start_time: DateTime<Utc>,
    /// When the benchmarks ended (the job's completion for image runs, once known).
    pub end_time: DateTime<Utc>,
    /// The adapter that parsed (or will parse) the output.
    pub adapter: Adapter,
    /// Results per iteration.
    pub results: Vec<Vec<JsonReportResult>>,
    /// Alerts the results raised.
    pub alerts: Vec<JsonAlert>,
    /// The job that produces the results, for image runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JsonJob>,
    /// When the report was created.
    pub created: DateTime<Utc>,
}
