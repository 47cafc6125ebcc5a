//! `job`: A job: one run of a benchmark image on a runner.

use sea_orm::entity::prelude::*;

/// A row of `job`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "job")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The report the job fills (one job each).
    #[sea_orm(unique)]
    pub report_id: i64,
    /// The organization (concurrency limits).
    pub organization_id: i64,
    /// The project.
    pub project_id: i64,
    /// Lifecycle state (see [`crate::JobStatus`]).
    pub status: String,
    /// Bencher's numeric priority.
    pub priority: i32,
    /// Image reference as submitted.
    pub image: String,
    /// Resolved image digest.
    pub digest: Option<String>,
    /// Resolved spec.
    pub spec_id: Option<i64>,
    /// Run settings (entrypoint, cmd, env, file paths, iter, ...).
    pub config: Json,
    /// Runner that claimed the job.
    pub runner_id: Option<i64>,
    /// Dispatch attempts so far.
    pub attempts: i32,
    /// Timeout in seconds.
    pub timeout: i32,
    /// Submitter's IP (unclaimed concurrency).
    pub source_ip: Option<String>,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// When resolved to a digest and spec.
    pub resolved: Option<DateTimeUtc>,
    /// When a runner claimed it.
    pub claimed: Option<DateTimeUtc>,
    /// When it started running.
    pub started: Option<DateTimeUtc>,
    /// When it reached a terminal runner state.
    pub completed: Option<DateTimeUtc>,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
    /// Exit code of the last iteration.
    pub exit_code: Option<i32>,
    /// The `kind` of the failure or cancel reason (`runner_lost`, `exit_code`, `timeout`, ...).
    pub reason_kind: Option<String>,
    /// Why it failed or was canceled: a `FailureReason` or `CancelReason` as JSON.
    pub reason: Option<Json>,
    /// Where stdout, stderr and output files are.
    pub output: Option<Json>,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
