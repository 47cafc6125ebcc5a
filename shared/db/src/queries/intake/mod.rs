//! Intake's queries: where a run goes (project, branch, testbed, created as needed), the
//! thresholds it sets, the outbox of creation events, and the read models of the `/v0` API.
//!
//! - [`target`]: find or create the organization, project, branch and testbed of a run.
//! - [`thresholds`]: create or update a run's thresholds (a new model version on change).
//! - [`outbox`]: the `announced` marker and the rows committed but never announced.
//! - [`views`]: jobs by project (paginated), one job with its spec and runner, one report with
//!   its results, boundaries and alerts.

pub mod outbox;
pub mod target;
pub mod thresholds;
pub mod views;
