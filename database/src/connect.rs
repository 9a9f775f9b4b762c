//! Opening a pool with the settings both databases need.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::write::WRITE_WAIT;

/// Connects to `url` (`sqlite://…?mode=rwc` or `postgres://…`). Every SQLite connection gets
/// write-ahead logging (readers never wait for the writer), a busy timeout for writers of other
/// processes and enforced foreign keys, which SQLite lacks by default.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(WRITE_WAIT)
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Database::connect(options).await
}
