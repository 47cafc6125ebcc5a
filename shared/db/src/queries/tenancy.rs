//! Get-or-create of organizations, projects, branches and testbeds by slug.
//!
//! Each is `INSERT ... ON CONFLICT DO NOTHING` followed by a `SELECT` by the unique key, so any
//! number of concurrent callers end up with the same single row and none of them fails.

use bencher_wire::{Priority, Slug};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::{branch, organization, project, testbed};
use crate::error::DbError;
use crate::types::Visibility;

/// The organization with `slug`, created with `name` and `priority` if missing. An existing row
/// is returned as is (its name and priority are not changed).
pub async fn get_or_create_organization<C: ConnectionTrait>(
    db: &C,
    slug: &Slug,
    name: &str,
    priority: Priority,
) -> Result<organization::Model, DbError> {
    let now = Utc::now();
    organization::Entity::insert(organization::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        slug: Set(slug.to_string()),
        priority: Set(priority.value()),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| not_found("organization", slug))
}

/// The project with `slug` (globally unique), created in `organization_id` if missing. An
/// existing project is returned even if it belongs to another organization: the caller decides
/// whether that is allowed.
pub async fn get_or_create_project<C: ConnectionTrait>(
    db: &C,
    organization_id: i64,
    slug: &Slug,
    name: &str,
    visibility: Visibility,
    claimed: bool,
) -> Result<project::Model, DbError> {
    let now = Utc::now();
    project::Entity::insert(project::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        name: Set(name.to_owned()),
        slug: Set(slug.to_string()),
        visibility: Set(visibility.as_str().to_owned()),
        claimed: Set(claimed),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    project::Entity::find()
        .filter(project::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| not_found("project", slug))
}

/// The branch `slug` of the project, created with `name` if missing.
pub async fn get_or_create_branch<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    slug: &Slug,
    name: &str,
) -> Result<branch::Model, DbError> {
    let now = Utc::now();
    branch::Entity::insert(branch::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        name: Set(name.to_owned()),
        slug: Set(slug.to_string()),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    branch::Entity::find()
        .filter(branch::Column::ProjectId.eq(project_id))
        .filter(branch::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| not_found("branch", slug))
}

/// The testbed `slug` of the project, created with `name` (and no spec) if missing.
pub async fn get_or_create_testbed<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    slug: &Slug,
    name: &str,
) -> Result<testbed::Model, DbError> {
    let now = Utc::now();
    testbed::Entity::insert(testbed::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        project_id: Set(project_id),
        name: Set(name.to_owned()),
        slug: Set(slug.to_string()),
        spec_id: Set(None),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .try_insert()
    .exec_without_returning(db)
    .await?;
    testbed::Entity::find()
        .filter(testbed::Column::ProjectId.eq(project_id))
        .filter(testbed::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| not_found("testbed", slug))
}

fn not_found(what: &'static str, slug: &Slug) -> DbError {
    DbError::NotFound {
        what,
        key: slug.to_string(),
    }
}
