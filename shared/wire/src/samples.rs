//! Every checked-in JSON sample (`tests/samples/v1/*.json`) with the type it belongs to, so
//! another crate's integration test can publish each message through a real `nats-server` and
//! read it back. Enabled by the `samples` feature.
//!
//! ```ignore
//! for sample in bencher_wire::samples::all() {
//!     if let Some(subject) = sample.subject(&subjects)? {
//!         // publish sample.json on subject with sample.msg_id()?, read it back, compare
//!     }
//! }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::json::{
    JsonAlert, JsonError, JsonJob, JsonNewRun, JsonNewThreshold, JsonReport, JsonSpec,
    JsonThreshold, JsonThresholdModel, JsonUpdateAlert, JsonWatch,
};
use crate::msg::{
    AlertRaised, JobControlMessage, JobEventMessage, JobStatusSnapshot, LogLine,
    ReportEventMessage, RunJob,
};
use crate::nats::Subjects;

/// The type a sample deserializes into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SampleKind {
    /// [`JsonNewRun`] (HTTP body).
    JsonNewRun,
    /// [`JsonReport`] (HTTP body).
    JsonReport,
    /// [`JsonJob`] (HTTP body).
    JsonJob,
    /// [`JsonAlert`] (HTTP body).
    JsonAlert,
    /// [`JsonUpdateAlert`] (HTTP body).
    JsonUpdateAlert,
    /// [`JsonThreshold`] (HTTP body).
    JsonThreshold,
    /// [`JsonNewThreshold`] (HTTP body).
    JsonNewThreshold,
    /// [`JsonThresholdModel`] (HTTP body of a threshold update).
    JsonThresholdModel,
    /// [`JsonSpec`] (HTTP body).
    JsonSpec,
    /// [`JsonWatch`] (HTTP body).
    JsonWatch,
    /// [`JsonError`] (HTTP body).
    JsonError,
    /// [`JobEventMessage`] (NATS, events stream).
    JobEvent,
    /// [`ReportEventMessage`] (NATS, events stream).
    ReportEvent,
    /// [`AlertRaised`] (NATS, events stream).
    AlertRaised,
    /// [`RunJob`] (NATS, dispatch stream).
    RunJob,
    /// [`JobControlMessage`] (NATS, core).
    JobControl,
    /// [`LogLine`] (NATS, logs stream).
    LogLine,
    /// [`JobStatusSnapshot`] (NATS, status bucket).
    JobStatus,
}

impl SampleKind {
    /// Every kind; each has at least one sample.
    pub const ALL: [SampleKind; 18] = [
        SampleKind::JsonNewRun,
        SampleKind::JsonReport,
        SampleKind::JsonJob,
        SampleKind::JsonAlert,
        SampleKind::JsonUpdateAlert,
        SampleKind::JsonThreshold,
        SampleKind::JsonNewThreshold,
        SampleKind::JsonThresholdModel,
        SampleKind::JsonSpec,
        SampleKind::JsonWatch,
        SampleKind::JsonError,
        SampleKind::JobEvent,
        SampleKind::ReportEvent,
        SampleKind::AlertRaised,
        SampleKind::RunJob,
        SampleKind::JobControl,
        SampleKind::LogLine,
        SampleKind::JobStatus,
    ];

    /// Whether samples of this kind travel over NATS (rather than HTTP).
    pub fn is_nats(self) -> bool {
        !matches!(
            self,
            SampleKind::JsonNewRun
                | SampleKind::JsonReport
                | SampleKind::JsonJob
                | SampleKind::JsonAlert
                | SampleKind::JsonUpdateAlert
                | SampleKind::JsonThreshold
                | SampleKind::JsonNewThreshold
                | SampleKind::JsonThresholdModel
                | SampleKind::JsonSpec
                | SampleKind::JsonWatch
                | SampleKind::JsonError
        )
    }
}

/// One checked-in sample.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// File stem under [`crate::SAMPLES_DIR`].
    pub stem: &'static str,
    /// The type it deserializes into.
    pub kind: SampleKind,
    /// The file's text.
    pub json: &'static str,
}

macro_rules! samples {
    ($($stem:literal => $kind:ident,)+) => {
        /// Every sample, in file-name order.
        pub fn all() -> Vec<Sample> {
            vec![$(Sample {
                stem: $stem,
                kind: SampleKind::$kind,
                json: include_str!(concat!("../tests/samples/v1/", $stem, ".json")),
            },)+]
        }
    };
}

samples! {
    "alert_raised" => AlertRaised,
    "job_cancel_requested" => JobEvent,
    "job_canceled" => JobEvent,
    "job_claimed" => JobEvent,
    "job_completed" => JobEvent,
    "job_control_cancel" => JobControl,
    "job_dispatched" => JobEvent,
    "job_failed" => JobEvent,
    "job_heartbeat" => JobEvent,
    "job_processed" => JobEvent,
    "job_requested" => JobEvent,
    "job_resolved" => JobEvent,
    "job_running" => JobEvent,
    "job_status_snapshot" => JobStatus,
    "json_alert" => JsonAlert,
    "json_error" => JsonError,
    "json_job" => JsonJob,
    "json_new_run" => JsonNewRun,
    "json_new_run_local" => JsonNewRun,
    "json_new_threshold" => JsonNewThreshold,
    "json_report" => JsonReport,
    "json_spec" => JsonSpec,
    "json_threshold" => JsonThreshold,
    "json_threshold_model" => JsonThresholdModel,
    "json_update_alert" => JsonUpdateAlert,
    "json_watch" => JsonWatch,
    "log_line" => LogLine,
    "report_processed" => ReportEvent,
    "report_submitted" => ReportEvent,
    "run_job" => RunJob,
}

fn typed<T: DeserializeOwned + Serialize>(json: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::to_value(serde_json::from_slice::<T>(json)?)
}

impl Sample {
    /// Deserialize `json` (this sample's text, or bytes read back from NATS) into the sample's
    /// type and serialize it again, as a JSON value to compare with the original.
    pub fn round_trip(&self, json: &[u8]) -> Result<Value, serde_json::Error> {
        match self.kind {
            SampleKind::JsonNewRun => typed::<JsonNewRun>(json),
            SampleKind::JsonReport => typed::<JsonReport>(json),
            SampleKind::JsonJob => typed::<JsonJob>(json),
            SampleKind::JsonAlert => typed::<JsonAlert>(json),
            SampleKind::JsonUpdateAlert => typed::<JsonUpdateAlert>(json),
            SampleKind::JsonThreshold => typed::<JsonThreshold>(json),
            SampleKind::JsonNewThreshold => typed::<JsonNewThreshold>(json),
            SampleKind::JsonThresholdModel => typed::<JsonThresholdModel>(json),
            SampleKind::JsonSpec => typed::<JsonSpec>(json),
            SampleKind::JsonWatch => typed::<JsonWatch>(json),
            SampleKind::JsonError => typed::<JsonError>(json),
            SampleKind::JobEvent => typed::<JobEventMessage>(json),
            SampleKind::ReportEvent => typed::<ReportEventMessage>(json),
            SampleKind::AlertRaised => typed::<AlertRaised>(json),
            SampleKind::RunJob => typed::<RunJob>(json),
            SampleKind::JobControl => typed::<JobControlMessage>(json),
            SampleKind::LogLine => typed::<LogLine>(json),
            SampleKind::JobStatus => typed::<JobStatusSnapshot>(json),
        }
    }

    /// The sample as a JSON value, as checked in.
    pub fn value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.json)
    }

    /// The subject a NATS sample is published on; `None` for HTTP bodies. The status snapshot
    /// answers its republish subject (it is written to the bucket under [`Self::kv_key`]).
    pub fn subject(&self, subjects: &Subjects) -> Result<Option<String>, serde_json::Error> {
        let json = self.json;
        Ok(match self.kind {
            SampleKind::JobEvent => {
                Some(serde_json::from_str::<JobEventMessage>(json)?.subject(subjects))
            }
            SampleKind::ReportEvent => {
                Some(serde_json::from_str::<ReportEventMessage>(json)?.subject(subjects))
            }
            SampleKind::AlertRaised => {
                Some(serde_json::from_str::<AlertRaised>(json)?.subject(subjects))
            }
            SampleKind::RunJob => Some(serde_json::from_str::<RunJob>(json)?.subject(subjects)),
            SampleKind::JobControl => {
                Some(serde_json::from_str::<JobControlMessage>(json)?.subject(subjects))
            }
            SampleKind::LogLine => Some(serde_json::from_str::<LogLine>(json)?.subject(subjects)),
            SampleKind::JobStatus => {
                Some(serde_json::from_str::<JobStatusSnapshot>(json)?.subject(subjects))
            }
            _ => None,
        })
    }

    /// The `Nats-Msg-Id` a NATS sample is published with; `None` for HTTP bodies and for
    /// messages that are not deduplicated (control messages, status snapshots).
    pub fn msg_id(&self) -> Result<Option<String>, serde_json::Error> {
        let json = self.json;
        Ok(match self.kind {
            SampleKind::JobEvent => Some(serde_json::from_str::<JobEventMessage>(json)?.msg_id()),
            SampleKind::ReportEvent => {
                Some(serde_json::from_str::<ReportEventMessage>(json)?.msg_id())
            }
            SampleKind::AlertRaised => Some(serde_json::from_str::<AlertRaised>(json)?.msg_id()),
            SampleKind::RunJob => Some(serde_json::from_str::<RunJob>(json)?.msg_id()),
            SampleKind::LogLine => Some(serde_json::from_str::<LogLine>(json)?.msg_id()),
            _ => None,
        })
    }

    /// The key in the status bucket, for the status snapshot sample.
    pub fn kv_key(&self) -> Result<Option<String>, serde_json::Error> {
        Ok(match self.kind {
            SampleKind::JobStatus => {
                Some(serde_json::from_str::<JobStatusSnapshot>(self.json)?.key())
            }
            _ => None,
        })
    }
}
