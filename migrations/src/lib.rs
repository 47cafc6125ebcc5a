//! The database schema as sea-orm migrations, one file per change.
