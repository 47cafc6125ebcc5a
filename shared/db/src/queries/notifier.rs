//! The notifier's read: which report a job fills, for status snapshots built from events that
//! do not name it.

use bencher_wire::ids::{JobUuid, ReportUuid};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::{job, report};
use crate::error::DbError;

/// The report of the job with this public id, if the job exists.
pub async fn report_of_job<C: ConnectionTrait>(
    db: &C,
    job: JobUuid,
) -> Result<Option<ReportUuid>, DbError> {
    let Some(job) = job::Entity::find()
        .filter(job::Column::Uuid.eq(job.as_uuid()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(report::Entity::find_by_id(job.report_id)
        .one(db)
        .await?
        .map(|report| ReportUuid::from(report.uuid)))
}
