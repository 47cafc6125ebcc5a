//! Fresh SQLite and PostgreSQL databases for tests, migrated to the current schema.
//!
//! - [`TestDb::sqlite`]: a new database file in a temporary directory (WAL, `foreign_keys=ON`,
//!   busy timeout, as `bencher_db::connect` opens it).
//! - [`TestDb::postgres`]: a uniquely named database created through the admin URL in env
//!   [`POSTGRES_URL_ENV`] and dropped by [`TestDb::cleanup`] or on drop. Without the variable
//!   the test fails: run the tests through `bash .ci/test`, which starts PostgreSQL.
//! - [`db_tests!`](crate::db_tests): one `#[tokio::test]` per backend for each test function,
//!   each printing `backend=sqlite` / `backend=postgres`.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context as _, bail};
use bencher_migrations::Migrator;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use tempfile::TempDir;

/// The environment variable holding a PostgreSQL admin URL (a role allowed to create databases),
/// e.g. `postgres://bencher@127.0.0.1:55432/postgres`.
pub const POSTGRES_URL_ENV: &str = "BENCHER_TEST_POSTGRES_URL";

/// Which database engine a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database for one test, migrated.
pub struct TestDb {
    conn: DatabaseConnection,
    backend: Backend,
    url: String,
    _dir: Option<TempDir>,
    /// `(admin url, database name)` of a PostgreSQL database still to drop.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database of `backend`.
    pub async fn new(backend: Backend) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// A new SQLite file in a temporary directory, migrated.
    pub async fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let path = dir.path().join("bencher.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let mut options = ConnectOptions::new(url.clone());
        options
            .sqlx_logging(false)
            .max_connections(4)
            .map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        let conn = Database::connect(options)
            .await
            .with_context(|| format!("opening {url}"))?;
        Migrator::up(&conn, None)
            .await
            .context("migrating sqlite")?;
        Ok(Self {
            conn,
            backend: Backend::Sqlite,
            url,
            _dir: Some(dir),
            pg: None,
        })
    }

    /// A new PostgreSQL database named `bencher_test_<uuid>`, migrated. Fails when
    /// [`POSTGRES_URL_ENV`] is unset.
    pub async fn postgres() -> anyhow::Result<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_ENV) else {
            bail!(
                "{POSTGRES_URL_ENV} is not set: run the tests through `bash .ci/test` (it starts \
                 PostgreSQL), or start one yourself (see shared/db/README.md) and set \
                 {POSTGRES_URL_ENV}=postgres://bencher@127.0.0.1:55432/postgres"
            );
        };
        let name = format!("bencher_test_{}", uuid::Uuid::new_v4().simple());
        let admin = connect_admin(&admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("creating database {name}"))?;
        admin.close().await.ok();
        let url = with_database(&admin_url, &name)?;
        let mut options = ConnectOptions::new(url.clone());
        options.sqlx_logging(false).max_connections(10);
        let db = Self {
            conn: Database::connect(options)
                .await
                .with_context(|| format!("connecting to {name}"))?,
            backend: Backend::Postgres,
            url,
            _dir: None,
            pg: Some((admin_url, name)),
        };
        Migrator::up(&db.conn, None)
            .await
            .context("migrating postgres")?;
        Ok(db)
    }

    /// The connection pool.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend.as_str()
    }

    /// The URL of the database, for code under test that connects by itself.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Close the pool and drop the database (PostgreSQL) or its directory (SQLite).
    pub async fn cleanup(mut self) -> anyhow::Result<()> {
        self.conn.close_by_ref().await.ok();
        if let Some((admin_url, name)) = self.pg.take() {
            drop_database(&admin_url, &name).await?;
        }
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // A test that failed before `cleanup()`: drop the database from a helper thread with its
        // own runtime (this may run inside, or outside, a tokio runtime).
        if let Some((admin_url, name)) = self.pg.take() {
            let handle = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime
                    && let Err(err) = runtime.block_on(drop_database(&admin_url, &name))
                {
                    eprintln!("leaving test database {name}: {err:#}");
                }
            });
            let _ = handle.join();
        }
    }
}

/// Run `test` against a fresh database of `backend`, printing `backend=<name>` first, and clean
/// up afterwards (also when the test returns an error).
pub async fn run<F, Fut>(backend: Backend, test: F) -> anyhow::Result<()>
where
    F: FnOnce(DatabaseConnection) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    println!("backend={}", backend.as_str());
    let db = TestDb::new(backend).await?;
    let result = test(db.conn().clone()).await;
    db.cleanup().await?;
    result.with_context(|| format!("backend={}", backend.as_str()))
}

/// For each `async fn name(db: DatabaseConnection) -> anyhow::Result<()>` listed, generate a
/// module `name` with the tests `sqlite` and `postgres` running it on a fresh database each.
/// The calling crate needs `tokio` and `anyhow` as (dev-)dependencies.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() -> ::anyhow::Result<()> {
                    $crate::db::run($crate::db::Backend::Sqlite, super::$name).await
                }

                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() -> ::anyhow::Result<()> {
                    $crate::db::run($crate::db::Backend::Postgres, super::$name).await
                }
            }
        )+
    };
}

async fn connect_admin(admin_url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(admin_url.to_owned());
    options.sqlx_logging(false).max_connections(1);
    Database::connect(options)
        .await
        .with_context(|| format!("connecting to {POSTGRES_URL_ENV}"))
}

async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = connect_admin(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .with_context(|| format!("dropping database {name}"))?;
    admin.close().await.ok();
    Ok(())
}

/// `admin_url` with its database path replaced by `name` (query string kept).
fn with_database(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let Some(authority_start) = base.find("://").map(|i| i + 3) else {
        bail!("{POSTGRES_URL_ENV} is not a URL: {admin_url}");
    };
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_keeping_the_query() {
        assert_eq!(
            with_database("postgres://u:p@h:5/postgres?sslmode=disable", "x").unwrap(),
            "postgres://u:p@h:5/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h", "x").unwrap(),
            "postgres://h/x"
        );
    }
}
