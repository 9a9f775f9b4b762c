//! PostgreSQL databases of their own for tests and benchmarks.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbErr};

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
