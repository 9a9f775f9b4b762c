//! An upgrade is all or nothing, and two processes starting at once both start, on SQLite and on
//! PostgreSQL.

use std::sync::atomic::{AtomicU32, Ordering};

use kosodate_migrations::{Migrator, MigratorTrait, upgrade};
use sea_orm_migration::sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

/// Databases this test process created, for their names.
static DATABASES: AtomicU32 = AtomicU32::new(0);

/// A new, empty database: an SQLite file in `directory`, or a PostgreSQL database on the test
/// server (`KOSODATE_TEST_POSTGRES_URL`, left for scripts/test to drop).
async fn fresh_database(backend: DbBackend, directory: &tempfile::TempDir) -> String {
    if backend == DbBackend::Sqlite {
        return format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("kosodate.db").display()
        );
    }
    let admin = std::env::var("KOSODATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!(
        "kosodate_test_upgrade_{}_{}",
        std::process::id(),
        DATABASES.fetch_add(1, Ordering::Relaxed)
    );
    let server = pool(&admin).await;
    server
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("the test PostgreSQL server creates a database");
    format!(
        "{}/{name}",
        admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base)
    )
}

/// A pool of a few connections, as a process holds.
async fn pool(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(4).sqlx_logging(false);
    Database::connect(options).await.expect("the database opens")
}

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        _ => {
            "SELECT table_name AS name FROM information_schema.tables \
              WHERE table_schema = 'public' ORDER BY table_name"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("the schema reads");
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").expect("a name"))
        .collect()
}

async fn a_failed_upgrade_leaves_the_database_as_it_was_and_the_next_one_applies_everything(
    backend: DbBackend,
) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let db = pool(&fresh_database(backend, &directory).await).await;
    // A table a later migration creates makes that migration fail, after earlier ones ran.
    db.execute_unprepared("CREATE TABLE match_catalogues (id INTEGER PRIMARY KEY)")
        .await
        .expect("the obstacle is created");

    let failed = upgrade(&db).await;

    assert!(failed.is_err(), "the upgrade must fail on the obstacle");
    assert_eq!(
        tables(&db).await,
        ["match_catalogues"],
        "nothing of the upgrade stays"
    );

    db.execute_unprepared("DROP TABLE match_catalogues")
        .await
        .expect("the obstacle goes");
    upgrade(&db).await.expect("the upgrade applies");
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("the history reads");
    assert_eq!(applied.len(), Migrator::migrations().len());
    assert!(tables(&db).await.contains(&"match_events".to_owned()));
}

async fn two_processes_upgrading_at_once_both_start_and_apply_each_migration_once(backend: DbBackend) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let url = fresh_database(backend, &directory).await;
    // Two pools on one database are what two processes starting together hold.
    let first = pool(&url).await;
    let second = pool(&url).await;

    let (first_upgrade, second_upgrade) = tokio::join!(upgrade(&first), upgrade(&second));

    first_upgrade.expect("the first process starts");
    second_upgrade.expect("the second process starts");
    let applied = Migrator::get_applied_migrations(&first)
        .await
        .expect("the history reads");
    assert_eq!(applied.len(), Migrator::migrations().len());
}

#[tokio::test]
async fn a_failed_upgrade_changes_nothing_on_sqlite() {
    a_failed_upgrade_leaves_the_database_as_it_was_and_the_next_one_applies_everything(DbBackend::Sqlite)
        .await;
}

#[tokio::test]
async fn a_failed_upgrade_changes_nothing_on_postgres() {
    a_failed_upgrade_leaves_the_database_as_it_was_and_the_next_one_applies_everything(DbBackend::Postgres)
        .await;
}

#[tokio::test]
async fn concurrent_upgrades_both_succeed_on_sqlite() {
    two_processes_upgrading_at_once_both_start_and_apply_each_migration_once(DbBackend::Sqlite).await;
}

#[tokio::test]
async fn concurrent_upgrades_both_succeed_on_postgres() {
    two_processes_upgrading_at_once_both_start_and_apply_each_migration_once(DbBackend::Postgres).await;
}
