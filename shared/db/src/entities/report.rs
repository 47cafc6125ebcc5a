//! `report`: A report: the results of one run.

use sea_orm::entity::prelude::*;

/// A row of `report`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "report")]
pub struct Model {
    /// Integer key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Public identifier.
    #[sea_orm(unique)]
    pub uuid: Uuid,
    /// The project.
    pub project_id: i64,
    /// The branch.
    pub branch_id: i64,
    /// The testbed.
    pub testbed_id: i64,
    /// Git commit hash, if given.
    pub hash: Option<String>,
    /// When the run started (orders threshold history).
    pub start_time: DateTimeUtc,
    /// When the run ended.
    pub end_time: DateTimeUtc,
    /// Adapter that parses the results (`json`, `rust_criterion`, ...).
    pub adapter: String,
    /// Bencher's `average` setting.
    pub average: Option<String>,
    /// Bencher's `fold` setting.
    pub fold: Option<String>,
    /// Where the raw harness output lives (inline or object-store key).
    pub results_ref: Option<Json>,
    /// Creation time (UTC).
    pub created: DateTimeUtc,
    /// Last change (UTC).
    pub modified: DateTimeUtc,
}

/// No declared relations: joins are written out in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
