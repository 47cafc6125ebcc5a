//! Fresh SQLite and PostgreSQL databases for tests.
