//! HTTP JSON bodies of the `/v0` API, in Bencher's shapes and field names.
//!
//! - [`JsonNewRun`] (`POST /v0/run`) → [`JsonReport`] with [`JsonJob`] and its [`JsonWatch`].
//! - [`JsonThreshold`] (with [`JsonModel`]), [`JsonNewThreshold`], [`JsonThresholdModel`].
//! - [`JsonAlert`], [`JsonUpdateAlert`], [`JsonSpec`], [`JsonError`] (every error response).

mod adapter;
mod alert;
mod error;
mod job;
mod report;
mod run;
mod threshold;

pub use adapter::{Adapter, Average, Fold, JsonRunSettings};
pub use alert::{AlertStatus, BoundaryLimit, JsonAlert, JsonUpdateAlert, UpdateAlertStatus};
pub use error::{ErrorCode, JsonError};
pub use job::{Architecture, JsonIterationOutput, JsonJob, JsonJobOutput, JsonSpec, JsonWatch};
pub use report::{
    JsonBenchmark, JsonBoundary, JsonBranchRef, JsonMeasure, JsonProjectRef, JsonReport,
    JsonReportAlert, JsonReportMeasure, JsonReportMetric, JsonReportResult, JsonReportThreshold,
    JsonResourceRef, JsonTestbedRef,
};
pub use run::{JsonNewRun, JsonNewRunJob, JsonStartPoint};
pub use threshold::{
    JsonModel, JsonNewRunThresholds, JsonNewThreshold, JsonThreshold, JsonThresholdModel,
    ThresholdTest,
};
