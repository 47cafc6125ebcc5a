//! NATS messages: JSON, tagged with `"schema": "bencher.v1"` and an `"event"` (events) or
//! `"command"` (commands) tag.
//!
//! | Type | Subject | Published by |
//! |---|---|---|
//! | [`JobEventMessage`] | `evt.job.<job>.<event>` | intake, resolver, scheduler, runner, processor |
//! | [`ReportEventMessage`] | `evt.report.<report>.<event>` | intake, processor |
//! | [`AlertRaised`] | `evt.alert.<project>.raised` | processor |
//! | [`RunJob`] | `dispatch.<spec>.<tier>` | scheduler |
//! | [`JobControlMessage`] | `ctl.job.<job>` | scheduler |
//! | [`LogLine`] | `log.<job>` | runner |
//! | [`JobStatusSnapshot`] | KV `<P>_JOB_STATUS` / `status.<job>` | notifier |
//!
//! Every type offers `subject(&Subjects)` and (where published to a stream) `msg_id()` for the
//! `Nats-Msg-Id` header, so no service formats either.

mod job;
mod output;
mod report;
mod runner;
mod schema;
mod status;

pub use job::{JobEvent, JobEventMessage};
pub use output::{IterationResult, JobConfig, OutputFile, OutputRef};
pub use report::{AlertRaised, ReportEvent, ReportEventMessage};
pub use runner::{
    JobControl, JobControlMessage, LogLine, LogStream, OutputLimits, RegistryAccess, RunJob,
};
pub use schema::SchemaV1;
pub use status::JobStatusSnapshot;
