//! The result-processor's queries: the report's processing marker, thresholds with their
//! current model, the batched metric history, boundaries and alerts.
//!
//! - [`report`]: `claim_report` / `finish_report` (the `processed` marker, end time, raw results,
//!   failure), `report_state`, `count_report_metrics`.
//! - [`thresholds`]: `set_threshold` (threshold + new model version), `current_model`,
//!   `current_thresholds` of a branch and testbed.
//! - [`history`]: `metric_history_batch`: the newest values of many benchmarks of one measure in
//!   one query (`ROW_NUMBER() OVER (PARTITION BY benchmark ...)`).
//! - [`alerts`]: `insert_boundaries`, `insert_alerts` (idempotent), `report_alerts`.

pub mod alerts;
pub mod history;
pub mod report;
pub mod thresholds;

/// Rows per statement: keeps bind parameters well under SQLite's and PostgreSQL's limits.
pub(crate) const CHUNK: usize = 500;
