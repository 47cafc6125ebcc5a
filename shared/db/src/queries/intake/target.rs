//! Where a run goes: the project (found by UUID, slug or name, or created unclaimed with an
//! organization of its own, as Bencher does for anonymous runs), its branch and its testbed.

use bencher_wire::values::{NameId, ResourceId};
use bencher_wire::{Priority, Slug};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entities::{branch, organization, project, testbed};
use crate::error::DbError;
use crate::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use crate::types::Visibility;

/// The branch a run without `branch` goes to.
pub const DEFAULT_BRANCH: &str = "main";
/// The testbed a run without `testbed` goes to.
pub const DEFAULT_TESTBED: &str = "localhost";

/// What a run names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunTargetRequest {
    /// The project; `None` creates a new unclaimed project.
    pub project: Option<NameId>,
    /// The branch (default [`DEFAULT_BRANCH`]).
    pub branch: Option<NameId>,
    /// The testbed (default [`DEFAULT_TESTBED`]).
    pub testbed: Option<NameId>,
}

/// The rows a run belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct RunTarget {
    /// The project's organization (its priority is the job's tier).
    pub organization: organization::Model,
    /// The project.
    pub project: project::Model,
    /// The branch.
    pub branch: branch::Model,
    /// The testbed.
    pub testbed: testbed::Model,
}

/// Find or create the project, branch and testbed of a run. A project, branch or testbed named
/// by UUID must exist ([`DbError::NotFound`] otherwise); one named by slug or name is created
/// when missing. Safe to race: every creation is an insert-or-ignore on a unique key.
pub async fn resolve_run_target<C: ConnectionTrait>(
    db: &C,
    req: &RunTargetRequest,
) -> Result<RunTarget, DbError> {
    let project = match &req.project {
        Some(id) => match find_project(db, id).await? {
            Some(project) => project,
            None => create_unclaimed_project(db, id).await?,
        },
        None => create_unclaimed_project(db, &generated_project_name()).await?,
    };
    let organization = organization::Entity::find_by_id(project.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "organization",
            key: project.organization_id.to_string(),
        })?;
    let branch = resolve_branch(db, project.id, req.branch.as_ref()).await?;
    let testbed = resolve_testbed(db, project.id, req.testbed.as_ref()).await?;
    Ok(RunTarget {
        organization,
        project,
        branch,
        testbed,
    })
}

/// The project named by UUID, slug or name (a slug is also tried as a name); `None` if none.
pub async fn find_project<C: ConnectionTrait>(
    db: &C,
    id: &NameId,
) -> Result<Option<project::Model>, DbError> {
    let by = |col: project::Column, value: String| {
        project::Entity::find()
            .filter(col.eq(value))
            .order_by_asc(project::Column::Id)
    };
    Ok(match id {
        NameId::Uuid(uuid) => {
            project::Entity::find()
                .filter(project::Column::Uuid.eq(*uuid))
                .one(db)
                .await?
        }
        NameId::Slug(slug) => match by(project::Column::Slug, slug.to_string()).one(db).await? {
            Some(found) => Some(found),
            None => by(project::Column::Name, slug.to_string()).one(db).await?,
        },
        NameId::Name(name) => by(project::Column::Name, name.to_string()).one(db).await?,
    })
}

/// The project named by UUID or slug (as in `/v0/projects/{project}`); `None` if none.
pub async fn project_by_resource<C: ConnectionTrait>(
    db: &C,
    id: &ResourceId,
) -> Result<Option<project::Model>, DbError> {
    let query = match id {
        ResourceId::Uuid(uuid) => project::Entity::find().filter(project::Column::Uuid.eq(*uuid)),
        ResourceId::Slug(slug) => {
            project::Entity::find().filter(project::Column::Slug.eq(slug.as_str()))
        }
    };
    Ok(query.one(db).await?)
}

fn generated_project_name() -> NameId {
    let uuid = Uuid::now_v7().simple().to_string();
    // The random tail of a v7 UUID: distinct per call.
    let tail = uuid.get(uuid.len().saturating_sub(12)..).unwrap_or(&uuid);
    NameId::Slug(Slug::from_name(&format!("project-{tail}")).unwrap_or_else(fallback_slug))
}

fn fallback_slug() -> Slug {
    Slug::from_name(&Uuid::now_v7().simple().to_string()).unwrap_or_else(fallback_slug)
}

/// An anonymous project: unclaimed, public, in an unclaimed organization of the same slug.
async fn create_unclaimed_project<C: ConnectionTrait>(
    db: &C,
    id: &NameId,
) -> Result<project::Model, DbError> {
    let (slug, name) = match id {
        NameId::Uuid(uuid) => {
            return Err(DbError::NotFound {
                what: "project",
                key: uuid.to_string(),
            });
        }
        NameId::Slug(slug) => (slug.clone(), slug.to_string()),
        NameId::Name(name) => (
            Slug::from_name(name.as_str()).unwrap_or_else(fallback_slug),
            name.to_string(),
        ),
    };
    let org = get_or_create_organization(db, &slug, &name, Priority::Unclaimed).await?;
    get_or_create_project(db, org.id, &slug, &name, Visibility::Public, false).await
}

async fn resolve_branch<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    id: Option<&NameId>,
) -> Result<branch::Model, DbError> {
    let default = NameId::Slug(slug_of(DEFAULT_BRANCH));
    let id = id.unwrap_or(&default);
    let found = match id {
        NameId::Uuid(uuid) => {
            return branch::Entity::find()
                .filter(branch::Column::ProjectId.eq(project_id))
                .filter(branch::Column::Uuid.eq(*uuid))
                .one(db)
                .await?
                .ok_or_else(|| not_found("branch", uuid));
        }
        NameId::Slug(_) => None,
        NameId::Name(name) => {
            branch::Entity::find()
                .filter(branch::Column::ProjectId.eq(project_id))
                .filter(branch::Column::Name.eq(name.as_str()))
                .order_by_asc(branch::Column::Id)
                .one(db)
                .await?
        }
    };
    match found {
        Some(branch) => Ok(branch),
        None => {
            let (slug, name) = slug_and_name(id);
            get_or_create_branch(db, project_id, &slug, &name).await
        }
    }
}

async fn resolve_testbed<C: ConnectionTrait>(
    db: &C,
    project_id: i64,
    id: Option<&NameId>,
) -> Result<testbed::Model, DbError> {
    let default = NameId::Slug(slug_of(DEFAULT_TESTBED));
    let id = id.unwrap_or(&default);
    let found = match id {
        NameId::Uuid(uuid) => {
            return testbed::Entity::find()
                .filter(testbed::Column::ProjectId.eq(project_id))
                .filter(testbed::Column::Uuid.eq(*uuid))
                .one(db)
                .await?
                .ok_or_else(|| not_found("testbed", uuid));
        }
        NameId::Slug(_) => None,
        NameId::Name(name) => {
            testbed::Entity::find()
                .filter(testbed::Column::ProjectId.eq(project_id))
                .filter(testbed::Column::Name.eq(name.as_str()))
                .order_by_asc(testbed::Column::Id)
                .one(db)
                .await?
        }
    };
    match found {
        Some(testbed) => Ok(testbed),
        None => {
            let (slug, name) = slug_and_name(id);
            get_or_create_testbed(db, project_id, &slug, &name).await
        }
    }
}

fn slug_of(text: &str) -> Slug {
    Slug::from_name(text).unwrap_or_else(fallback_slug)
}

/// The slug and display name to create a resource named by slug or name with.
fn slug_and_name(id: &NameId) -> (Slug, String) {
    match id {
        NameId::Slug(slug) => (slug.clone(), slug.to_string()),
        NameId::Name(name) => (slug_of(name.as_str()), name.to_string()),
        NameId::Uuid(uuid) => (slug_of(&uuid.to_string()), uuid.to_string()),
    }
}

fn not_found(what: &'static str, uuid: &Uuid) -> DbError {
    DbError::NotFound {
        what,
        key: uuid.to_string(),
    }
}
