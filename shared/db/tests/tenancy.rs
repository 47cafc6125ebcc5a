//! Get-or-create by slug is idempotent and race-safe on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::DatabaseConnection;
use bencher_db::entities::{branch, organization, project, testbed};
use bencher_db::queries::tenancy::{
    get_or_create_branch, get_or_create_organization, get_or_create_project, get_or_create_testbed,
};
use bencher_db::types::Visibility;
use bencher_testkit::db_tests;
use bencher_wire::Priority;
use common::slug;
use sea_orm::{EntityTrait, PaginatorTrait};

async fn get_or_create_is_idempotent(db: DatabaseConnection) -> anyhow::Result<()> {
    let org = get_or_create_organization(&db, &slug("acme"), "Acme", Priority::Plus).await?;
    assert_eq!(org.priority, 200);
    // A second call returns the same row and does not overwrite it.
    let again = get_or_create_organization(&db, &slug("acme"), "Other", Priority::Free).await?;
    assert_eq!(again, org);

    let p =
        get_or_create_project(&db, org.id, &slug("app"), "App", Visibility::Private, true).await?;
    assert_eq!(p.organization_id, org.id);
    assert_eq!(p.visibility, "private");
    assert!(p.claimed);
    let p2 =
        get_or_create_project(&db, org.id, &slug("app"), "App", Visibility::Public, false).await?;
    assert_eq!(p2, p);

    let b = get_or_create_branch(&db, p.id, &slug("main"), "main").await?;
    assert_eq!(
        get_or_create_branch(&db, p.id, &slug("main"), "x").await?,
        b
    );
    let t = get_or_create_testbed(&db, p.id, &slug("ci"), "ci").await?;
    assert_eq!(t.spec_id, None);
    assert_eq!(get_or_create_testbed(&db, p.id, &slug("ci"), "x").await?, t);

    // Branch and testbed slugs are unique per project, not globally.
    let other =
        get_or_create_project(&db, org.id, &slug("lib"), "Lib", Visibility::Public, false).await?;
    let b_other = get_or_create_branch(&db, other.id, &slug("main"), "main").await?;
    assert_ne!(b_other.id, b.id);
    let t_other = get_or_create_testbed(&db, other.id, &slug("ci"), "ci").await?;
    assert_ne!(t_other.id, t.id);

    assert_eq!(organization::Entity::find().count(&db).await?, 1);
    assert_eq!(project::Entity::find().count(&db).await?, 2);
    assert_eq!(branch::Entity::find().count(&db).await?, 2);
    assert_eq!(testbed::Entity::find().count(&db).await?, 2);
    Ok(())
}

async fn concurrent_get_or_create_makes_one_row(db: DatabaseConnection) -> anyhow::Result<()> {
    let org = get_or_create_organization(&db, &slug("race"), "Race", Priority::Free).await?;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let p = get_or_create_project(
                &db,
                org.id,
                &slug("contended"),
                "Contended",
                Visibility::Public,
                false,
            )
            .await?;
            let b = get_or_create_branch(&db, p.id, &slug("main"), "main").await?;
            let t = get_or_create_testbed(&db, p.id, &slug("ci"), "ci").await?;
            Ok::<_, bencher_db::DbError>((p.id, b.id, t.id))
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await??);
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    assert_eq!(project::Entity::find().count(&db).await?, 1);
    assert_eq!(branch::Entity::find().count(&db).await?, 1);
    assert_eq!(testbed::Entity::find().count(&db).await?, 1);
    Ok(())
}

db_tests!(
    get_or_create_is_idempotent,
    concurrent_get_or_create_makes_one_row
);
