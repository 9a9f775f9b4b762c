//! The database schema, as sea-orm migrations that run unchanged on SQLite (the embedded default)
//! and PostgreSQL (production). It owns table layout only: no domain rules and no seed data, which
//! belong to the crates that own the data. It must not depend on any other kosodate crate, so that
//! the schema history never changes when domain code does.

pub use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{
    DatabaseConnection, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

mod m20261121_000001_create_municipalities;
mod m20261121_000002_create_programs;
mod m20261121_000003_create_households;
mod m20261122_000004_compact_match_state;
mod m20261122_000005_accounts_sessions_audit;
mod m20261122_000006_notices;
mod m20261122_000007_search;
mod m20261205_000008_waiting_events;
mod m20261205_000020_channel_send_slots;
mod m20261205_000021_account_consents;
mod m20261205_000030_calendar_feeds;
mod m20261205_000040_program_types;
mod m20261205_000050_freshness;
mod m20261205_000060_program_review;
mod m20261205_000070_staged_imports;
mod m20261205_000071_paper_consent_forms;
mod m20261205_000080_community;
mod m20261205_000081_community_notices;
mod m20261205_000090_insights;
mod m20261205_000100_places_events;
mod m20261205_000102_event_attendance;
mod m20261205_000103_weekly_event_notices;
mod m20261205_000110_partners;
mod m20261205_000111_partner_webhooks;
mod m20261205_000112_partner_links;
mod m20261205_000120_match_partitions;
mod m20261206_000130_program_licenses;
mod m20261206_000131_weekly_event_addenda;
mod m20261206_000132_staged_import_subjects;
mod m20261206_000133_place_event_versions;
mod m20261206_000134_place_event_review_requests;

#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_municipalities::Migration),
            Box::new(m20261121_000002_create_programs::Migration),
            Box::new(m20261121_000003_create_households::Migration),
            Box::new(m20261122_000004_compact_match_state::Migration),
            Box::new(m20261122_000005_accounts_sessions_audit::Migration),
            Box::new(m20261122_000006_notices::Migration),
            Box::new(m20261122_000007_search::Migration),
            Box::new(m20261205_000008_waiting_events::Migration),
            Box::new(m20261205_000020_channel_send_slots::Migration),
            Box::new(m20261205_000021_account_consents::Migration),
            Box::new(m20261205_000030_calendar_feeds::Migration),
            Box::new(m20261205_000040_program_types::Migration),
            Box::new(m20261205_000050_freshness::Migration),
            Box::new(m20261205_000060_program_review::Migration),
            Box::new(m20261205_000070_staged_imports::Migration),
            Box::new(m20261205_000071_paper_consent_forms::Migration),
            Box::new(m20261205_000080_community::Migration),
            Box::new(m20261205_000081_community_notices::Migration),
            Box::new(m20261205_000090_insights::Migration),
            Box::new(m20261205_000100_places_events::Migration),
            Box::new(m20261205_000102_event_attendance::Migration),
            Box::new(m20261205_000103_weekly_event_notices::Migration),
            Box::new(m20261205_000110_partners::Migration),
            Box::new(m20261205_000111_partner_webhooks::Migration),
            Box::new(m20261205_000112_partner_links::Migration),
            Box::new(m20261205_000120_match_partitions::Migration),
            Box::new(m20261206_000130_program_licenses::Migration),
            Box::new(m20261206_000131_weekly_event_addenda::Migration),
            Box::new(m20261206_000132_staged_import_subjects::Migration),
            Box::new(m20261206_000133_place_event_versions::Migration),
            Box::new(m20261206_000134_place_event_review_requests::Migration),
        ]
    }
}

/// Applies every pending migration, all in one transaction on one connection, so that an upgrade
/// that fails leaves the database as it was, and so that a second process starting at the same
/// time waits for the first one's upgrade and then finds nothing left to apply: PostgreSQL's
/// transaction-scoped advisory lock serialises them there, SQLite's write lock, taken first
/// (`BEGIN IMMEDIATE`), here. sea-orm alone would run each migration in its own transaction on
/// PostgreSQL, and on SQLite statement by statement over the pool, several connections whose views
/// of the schema may differ.
pub async fn upgrade(db: &DatabaseConnection) -> Result<(), DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    let transaction = db.begin_with_options(options).await?;
    if transaction.get_database_backend() == DbBackend::Postgres {
        transaction
            .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({UPGRADE_LOCK})"))
            .await?;
    }
    Migrator::up(&transaction, None).await?;
    transaction.commit().await
}

/// The advisory lock key of [`upgrade`] on PostgreSQL: "kosodate" in ASCII.
const UPGRADE_LOCK: i64 = 0x6b6f_736f_6461_7465;
