//! The resolver's reads and its one write: the job's digest, spec, priority and timeout (the
//! columns it owns), with an explicit spec recorded on the testbed, in one transaction.

use bencher_wire::Priority;
use bencher_wire::ids::{JobUuid, OrganizationUuid, TestbedUuid};
use chrono::Utc;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::connect::begin_write;
use crate::entities::{job, organization, spec, testbed};
use crate::error::DbError;
use crate::types::JobStatus;

/// The organization with this public id.
pub async fn organization_by_uuid<C: ConnectionTrait>(
    db: &C,
    uuid: OrganizationUuid,
) -> Result<Option<organization::Model>, DbError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Uuid.eq(uuid.as_uuid()))
        .one(db)
        .await?)
}

/// The testbed with this public id.
pub async fn testbed_by_uuid<C: ConnectionTrait>(
    db: &C,
    uuid: TestbedUuid,
) -> Result<Option<testbed::Model>, DbError> {
    Ok(testbed::Entity::find()
        .filter(testbed::Column::Uuid.eq(uuid.as_uuid()))
        .one(db)
        .await?)
}

/// The spec with this public id.
pub async fn spec_by_uuid<C: ConnectionTrait>(
    db: &C,
    uuid: Uuid,
) -> Result<Option<spec::Model>, DbError> {
    Ok(spec::Entity::find()
        .filter(spec::Column::Uuid.eq(uuid))
        .one(db)
        .await?)
}

/// The spec with this integer key.
pub async fn spec_by_id<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<spec::Model>, DbError> {
    Ok(spec::Entity::find_by_id(id).one(db).await?)
}

/// What the resolver fixed for a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The platform manifest digest.
    pub digest: String,
    /// The spec the job runs on.
    pub spec_id: i64,
    /// The tier, from the organization.
    pub priority: Priority,
    /// The timeout in seconds, after the tier's cap.
    pub timeout: i32,
    /// The testbed to pin to `spec_id` (when the user named the spec explicitly).
    pub testbed_id: Option<i64>,
}

/// Writes `resolution` to `job` if, and only if, the job is still `requested` and has no digest:
/// one conditional `UPDATE`, plus the testbed's spec when asked, in one write transaction.
/// Returns whether it applied; `false` means another delivery (or replica) resolved it first, or
/// the job ended meanwhile — the testbed is then left alone too. The status is not touched: the
/// scheduler moves the job to `pending` when it handles `job.resolved`.
pub async fn record_resolution(
    db: &DatabaseConnection,
    job: JobUuid,
    resolution: &Resolution,
) -> Result<bool, DbError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let updated = job::Entity::update_many()
        .col_expr(job::Column::Digest, Expr::value(resolution.digest.clone()))
        .col_expr(job::Column::SpecId, Expr::value(resolution.spec_id))
        .col_expr(
            job::Column::Priority,
            Expr::value(resolution.priority.value()),
        )
        .col_expr(job::Column::Timeout, Expr::value(resolution.timeout))
        .col_expr(job::Column::Modified, Expr::value(now))
        .filter(job::Column::Uuid.eq(job.as_uuid()))
        .filter(job::Column::Status.eq(JobStatus::Requested.as_str()))
        .filter(job::Column::Digest.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    if let Some(testbed_id) = resolution.testbed_id {
        testbed::Entity::update_many()
            .col_expr(testbed::Column::SpecId, Expr::value(resolution.spec_id))
            .col_expr(testbed::Column::Modified, Expr::value(now))
            .filter(testbed::Column::Id.eq(testbed_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(true)
}
