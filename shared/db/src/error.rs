//! The one error type of the crate and its transient/permanent split.

use sea_orm::{DbErr, RuntimeErr, TransactionError};

/// Why a database operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database (or the driver, or the pool) reported an error.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The database URL names no supported backend.
    #[error("unsupported database url (expected sqlite: or postgres:): {0}")]
    UnsupportedUrl(String),
    /// A stored text column holds a value this version does not know.
    #[error("unknown {what} stored in the database: {value:?}")]
    UnknownValue {
        /// Which kind of value (`job status`, `visibility`, ...).
        what: &'static str,
        /// The stored text.
        value: String,
    },
    /// A row that must exist (e.g. right after an insert-or-ignore) does not.
    #[error("{what} not found: {key}")]
    NotFound {
        /// Which table.
        what: &'static str,
        /// The key looked up.
        key: String,
    },
    /// A value could not be turned into JSON for a JSON column.
    #[error("cannot serialize a JSON column: {0}")]
    Json(#[from] serde_json::Error),
    /// A transition the job state machine forbids was asked for.
    #[error("job transition from {from} to {to} is not allowed")]
    InvalidTransition {
        /// The state moved from.
        from: &'static str,
        /// The state moved to.
        to: &'static str,
    },
}

impl From<TransactionError<DbError>> for DbError {
    fn from(err: TransactionError<DbError>) -> Self {
        match err {
            TransactionError::Connection(e) => DbError::Db(e),
            TransactionError::Transaction(e) => e,
        }
    }
}

impl DbError {
    /// Whether retrying the same operation later may succeed: connection loss, pool exhaustion,
    /// SQLite busy/locked, PostgreSQL serialization failures, deadlocks and shutdowns. The
    /// consumer loop `nak`s a message with a delay on these and `term`s it on the rest.
    pub fn is_transient(&self) -> bool {
        match self {
            DbError::Db(err) => db_err_is_transient(err),
            DbError::UnsupportedUrl(_)
            | DbError::UnknownValue { .. }
            | DbError::NotFound { .. }
            | DbError::Json(_)
            | DbError::InvalidTransition { .. } => false,
        }
    }

    /// Whether the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Db(err) if matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
        )
    }
}

fn db_err_is_transient(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_is_transient(e)
        }
        _ => false,
    }
}

fn sqlx_is_transient(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed
        | Error::Protocol(_) => true,
        Error::Database(db) => {
            let sqlite = db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some();
            db.code()
                .is_some_and(|code| code_is_transient(sqlite, &code))
        }
        _ => false,
    }
}

/// SQLite result codes arrive as numbers (extended codes allowed), PostgreSQL as SQLSTATEs.
fn code_is_transient(sqlite: bool, code: &str) -> bool {
    if sqlite {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with any extended code.
        return code
            .parse::<i32>()
            .is_ok_and(|code| matches!(code & 0xff, 5 | 6));
    }
    matches!(
        code,
        // serialization_failure, deadlock_detected
        "40001" | "40P01"
        // too_many_connections, admin/crash shutdown, cannot_connect_now
        | "53300" | "57P01" | "57P02" | "57P03"
    ) || code.starts_with("08") // connection exceptions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes_of_both_backends() {
        assert!(code_is_transient(true, "5"));
        assert!(code_is_transient(true, "517")); // SQLITE_BUSY_SNAPSHOT
        assert!(code_is_transient(true, "262")); // SQLITE_LOCKED_SHAREDCACHE
        assert!(!code_is_transient(true, "2067")); // SQLITE_CONSTRAINT_UNIQUE
        assert!(code_is_transient(false, "40001"));
        assert!(code_is_transient(false, "40P01"));
        assert!(code_is_transient(false, "08006"));
        assert!(!code_is_transient(false, "23505")); // unique_violation
    }

    #[test]
    fn pool_timeouts_are_transient_not_found_is_not() {
        let timeout = DbError::Db(DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout,
        ));
        assert!(timeout.is_transient());
        let missing = DbError::NotFound {
            what: "job",
            key: "x".into(),
        };
        assert!(!missing.is_transient());
    }
}
