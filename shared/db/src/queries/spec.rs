//! Hardware specs: the default, lookup by slug, and the machine's own default spec.

use bencher_wire::Slug;
use chrono::Utc;
use sea_orm::prelude::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use crate::connect::begin_write;
use crate::entities::spec;
use crate::error::DbError;

/// A spec as a machine describes itself.
#[derive(Clone, Debug, PartialEq)]
pub struct NewSpec {
    /// Unique slug.
    pub slug: Slug,
    /// Display name.
    pub name: String,
    /// CPU architecture (`x86_64`, `aarch64`).
    pub architecture: String,
    /// Number of CPUs.
    pub cpu: i32,
    /// Memory in bytes.
    pub memory: i64,
    /// Disk in bytes.
    pub disk: i64,
    /// Whether jobs get a network.
    pub network: bool,
}

/// The default spec, if one is set.
pub async fn default_spec<C: ConnectionTrait>(db: &C) -> Result<Option<spec::Model>, DbError> {
    Ok(spec::Entity::find()
        .filter(spec::Column::IsDefault.eq(true))
        .one(db)
        .await?)
}

/// The spec with `slug`.
pub async fn spec_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &Slug,
) -> Result<Option<spec::Model>, DbError> {
    Ok(spec::Entity::find()
        .filter(spec::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?)
}

/// Insert or update the spec `new.slug` with these values and make it the one default spec (the
/// previous default, if different, stops being the default). One write transaction.
pub async fn upsert_default_spec(
    db: &DatabaseConnection,
    new: NewSpec,
) -> Result<spec::Model, DbError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    spec::Entity::update_many()
        .col_expr(spec::Column::IsDefault, Expr::value(false))
        .col_expr(spec::Column::Modified, Expr::value(now))
        .filter(spec::Column::IsDefault.eq(true))
        .filter(spec::Column::Slug.ne(new.slug.as_str()))
        .exec(&txn)
        .await?;
    spec::Entity::insert(spec::ActiveModel {
        uuid: Set(Uuid::now_v7()),
        name: Set(new.name),
        slug: Set(new.slug.to_string()),
        architecture: Set(new.architecture),
        cpu: Set(new.cpu),
        memory: Set(new.memory),
        disk: Set(new.disk),
        network: Set(new.network),
        is_default: Set(true),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(spec::Column::Slug)
            .update_columns([
                spec::Column::Name,
                spec::Column::Architecture,
                spec::Column::Cpu,
                spec::Column::Memory,
                spec::Column::Disk,
                spec::Column::Network,
                spec::Column::IsDefault,
                spec::Column::Modified,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let spec = spec_by_slug(&txn, &new.slug)
        .await?
        .ok_or_else(|| DbError::NotFound {
            what: "spec",
            key: new.slug.to_string(),
        })?;
    txn.commit().await?;
    Ok(spec)
}
