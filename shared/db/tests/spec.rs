//! Spec queries: the default spec, lookup by slug, and upserting the machine's default so there
//! is never more than one default, on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::entities::spec;
use bencher_db::queries::spec::{NewSpec, default_spec, spec_by_slug, upsert_default_spec};
use bencher_db::{DatabaseConnection, DbError};
use bencher_testkit::db_tests;
use chrono::Utc;
use common::slug;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

fn machine(name: &str, cpu: i32) -> NewSpec {
    NewSpec {
        slug: slug(name),
        name: name.to_owned(),
        architecture: "x86_64".into(),
        cpu,
        memory: 4 << 30,
        disk: 20 << 30,
        network: false,
    }
}

async fn upsert_keeps_one_default(db: DatabaseConnection) -> anyhow::Result<()> {
    assert_eq!(default_spec(&db).await?, None);

    let first = upsert_default_spec(&db, machine("small", 2)).await?;
    assert!(first.is_default);
    assert_eq!(default_spec(&db).await?, Some(first.clone()));

    // Same slug again with new values: updated in place, same row.
    let updated = upsert_default_spec(&db, machine("small", 4)).await?;
    assert_eq!(updated.id, first.id);
    assert_eq!(updated.uuid, first.uuid);
    assert_eq!(updated.cpu, 4);

    // Another machine takes over as default; the first one stays, not default.
    let second = upsert_default_spec(&db, machine("large", 16)).await?;
    assert_eq!(default_spec(&db).await?.map(|s| s.id), Some(second.id));
    let small = spec_by_slug(&db, &slug("small"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("gone"))?;
    assert!(!small.is_default);
    assert_eq!(spec_by_slug(&db, &slug("missing")).await?, None);
    assert_eq!(
        spec::Entity::find()
            .filter(spec::Column::IsDefault.eq(true))
            .count(&db)
            .await?,
        1
    );

    // The schema itself refuses a second default.
    let now = Utc::now();
    let err = spec::ActiveModel {
        uuid: Set(uuid::Uuid::now_v7()),
        name: Set("rogue".into()),
        slug: Set("rogue".into()),
        architecture: Set("aarch64".into()),
        cpu: Set(1),
        memory: Set(1),
        disk: Set(1),
        network: Set(true),
        is_default: Set(true),
        created: Set(now),
        modified: Set(now),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap_err();
    assert!(DbError::from(err).is_unique_violation());
    Ok(())
}

db_tests!(upsert_keeps_one_default);
