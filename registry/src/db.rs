//! Opening the database the registry and its neighbours share.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Connects to `url` (`sqlite://…?mode=rwc` or `postgres://…`). Every SQLite connection gets
/// write-ahead logging, a busy timeout and enforced foreign keys, which SQLite lacks by default.
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
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Database::connect(options).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later fails with
/// "database is locked" instead of waiting when another connection (say, the background
/// matcher) wrote in between. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    db.begin_with_options(options).await
}

/// A PostgreSQL database of its own for one test or benchmark run, created through the server's
/// administrative URL so that runs never see each other's data.
#[derive(Debug)]
pub struct ScratchDatabase {
    admin: DatabaseConnection,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl ScratchDatabase {
    /// Creates (or re-creates) database `name` next to the one `admin_url` points at.
    pub async fn create(admin_url: &str, name: &str) -> Result<Self, DbErr> {
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
        Ok(Self {
            admin,
            name: name.to_owned(),
            url: format!("{base}/{name}"),
        })
    }

    /// Drops the database, closing whatever connections to it remain.
    pub async fn drop_now(self) -> Result<(), DbErr> {
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        self.admin.execute_unprepared(&statement).await?;
        self.admin.close().await
    }
}
