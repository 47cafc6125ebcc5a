//! The schema migrates up, down and up again on both backends, and `connect` opens SQLite the
//! way the services need it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use bencher_db::{DatabaseConnection, DbBackend, DbError, connect, migrate};
use bencher_migrations::Migrator;
use bencher_testkit::db_tests;
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{MigratorTrait, SchemaManager};

const TABLES: &[&str] = &[
    "organization",
    "project",
    "branch",
    "testbed",
    "spec",
    "runner",
    "runner_spec",
    "token",
    "report",
    "report_benchmark",
    "benchmark",
    "measure",
    "metric",
    "threshold",
    "model",
    "boundary",
    "alert",
    "job",
    "webhook",
    "delivery",
];

async fn present_tables(db: &DatabaseConnection) -> anyhow::Result<Vec<&'static str>> {
    let manager = SchemaManager::new(db);
    let mut present = Vec::new();
    for table in TABLES {
        if manager.has_table(*table).await? {
            present.push(*table);
        }
    }
    Ok(present)
}

async fn up_down_up(db: DatabaseConnection) -> anyhow::Result<()> {
    // TestDb already migrated: every table is there and nothing is pending.
    assert_eq!(present_tables(&db).await?, TABLES);
    assert!(Migrator::get_pending_migrations(&db).await?.is_empty());

    Migrator::down(&db, None).await?;
    assert!(present_tables(&db).await?.is_empty());
    assert_eq!(
        Migrator::get_pending_migrations(&db).await?.len(),
        Migrator::migrations().len()
    );

    migrate(&db).await?;
    assert_eq!(present_tables(&db).await?, TABLES);
    // Migrating an up-to-date database is a no-op.
    migrate(&db).await?;
    Ok(())
}

async fn history_indexes_exist(db: DatabaseConnection) -> anyhow::Result<()> {
    let manager = SchemaManager::new(&db);
    for (table, index) in [
        ("report", "ix_report_branch_testbed_start"),
        ("report_benchmark", "ix_report_benchmark_benchmark_report"),
        ("job", "ix_job_status_priority_created"),
        ("alert", "ix_alert_project_status"),
        ("spec", "uq_spec_one_default"),
        ("model", "uq_model_current"),
    ] {
        assert!(manager.has_index(table, index).await?, "{table}.{index}");
    }
    assert!(!manager.has_index("job", "ix_job_no_such_index").await?);
    Ok(())
}

db_tests!(up_down_up, history_indexes_exist);

async fn pragma(db: &DatabaseConnection, name: &str) -> anyhow::Result<String> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            format!("PRAGMA {name}"),
        ))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row for PRAGMA {name}"))?;
    let value: Result<String, _> = row.try_get_by_index(0);
    Ok(match value {
        Ok(text) => text,
        Err(_) => row.try_get_by_index::<i64>(0)?.to_string(),
    })
}

#[tokio::test]
async fn connect_creates_a_wal_sqlite_file_with_foreign_keys() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sub.db");
    assert!(!path.exists());
    let db = connect(&format!("sqlite://{}", path.display())).await?;
    assert!(path.exists());
    assert_eq!(pragma(&db, "journal_mode").await?, "wal");
    assert_eq!(pragma(&db, "foreign_keys").await?, "1");
    assert_eq!(pragma(&db, "busy_timeout").await?, "5000");
    migrate(&db).await?;
    assert_eq!(present_tables(&db).await?, TABLES);
    Ok(())
}

#[tokio::test]
async fn connect_refuses_other_backends_without_leaking_the_password() {
    let err = connect("mysql://user:secret@localhost/db")
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::UnsupportedUrl(_)), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    assert!(!err.is_transient());
}
