//! The database schema as sea-orm migrations, one file per change.
//!
//! Layout:
//! - [`Migrator`]: every migration in order; `Migrator::up(&db, None)` brings a database to the
//!   current schema, `Migrator::down(&db, None)` removes it again.
//! - `mYYYYMMDD_HHMMSS_<verb>_<noun>`: one change each. Released migrations are never edited.
//!
//! Conventions (the same on SQLite and PostgreSQL, built with sea-query, no raw SQL):
//! - every table has an integer `id` primary key and, where rows are addressed from outside,
//!   a unique `uuid` column (Bencher's pattern);
//! - timestamps are `timestamp with time zone`, always written by the application in UTC (no
//!   server-side `now()` defaults: SQLite would store a different text format and break ordering);
//! - enums (`status`, `visibility`, ...) are stored as lowercase text;
//! - foreign keys cascade from owner to owned rows and set optional references to `NULL`.

use sea_orm_migration::prelude::*;

mod m20260101_000001_create_organization;
mod m20260101_000002_create_spec;
mod m20260101_000003_create_project;
mod m20260101_000004_create_runner;
mod m20260101_000005_create_token;
mod m20260101_000006_create_report;
mod m20260101_000007_create_metric;
mod m20260101_000008_create_threshold;
mod m20260101_000009_create_alert;
mod m20260101_000010_create_job;
mod m20260101_000011_create_webhook;
mod m20260201_000001_add_announced;
mod m20260203_000001_create_job_schedule;
mod m20260204_000001_add_report_processed;
mod m20260301_000001_create_registry;
mod util;

/// Every migration of the schema, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_organization::Migration),
            Box::new(m20260101_000002_create_spec::Migration),
            Box::new(m20260101_000003_create_project::Migration),
            Box::new(m20260101_000004_create_runner::Migration),
            Box::new(m20260101_000005_create_token::Migration),
            Box::new(m20260101_000006_create_report::Migration),
            Box::new(m20260101_000007_create_metric::Migration),
            Box::new(m20260101_000008_create_threshold::Migration),
            Box::new(m20260101_000009_create_alert::Migration),
            Box::new(m20260101_000010_create_job::Migration),
            Box::new(m20260101_000011_create_webhook::Migration),
            Box::new(m20260201_000001_add_announced::Migration),
            Box::new(m20260203_000001_create_job_schedule::Migration),
            Box::new(m20260204_000001_add_report_processed::Migration),
            Box::new(m20260301_000001_create_registry::Migration),
        ]
    }
}
