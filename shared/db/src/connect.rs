//! Opening a database and bringing it to the current schema.

use std::time::Duration;

use bencher_migrations::Migrator;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::error::DbError;

/// How long a SQLite connection waits for another writer before reporting `SQLITE_BUSY`.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in a SQLite pool (WAL mode: many readers, one writer at a time).
const SQLITE_POOL_SIZE: u32 = 4;

/// Connect to `url` (`sqlite://path?mode=rwc`, `sqlite:path`, `postgres://...`).
///
/// SQLite: the file is created if missing, with WAL journaling, `foreign_keys=ON`,
/// `synchronous=NORMAL` and a busy timeout of [`SQLITE_BUSY_TIMEOUT`]. `sqlite::memory:` gets a
/// single connection (each connection would otherwise see its own empty database).
/// PostgreSQL: the URL is used as is.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        options
            .max_connections(if memory { 1 } else { SQLITE_POOL_SIZE })
            .map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
            });
    } else if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
        return Err(DbError::UnsupportedUrl(redact(url)));
    }
    Ok(Database::connect(options).await?)
}

/// Apply every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Begin a transaction that writes. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so it waits for other writers under the busy timeout instead of failing
/// with `SQLITE_BUSY` when a read would later upgrade to a write.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbError> {
    let options = TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DbBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://***{}", &url[..scheme], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        assert_eq!(redact("mysql://u:p@h/db"), "mysql://***@h/db");
        assert_eq!(redact("file.db"), "file.db");
    }
}
