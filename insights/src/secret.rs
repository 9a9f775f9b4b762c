//! Keys the service makes for itself and keeps in its database: made by whichever process asks
//! first, then read by every other. The tables are this crate's (`insights_weekly_keys` by week,
//! `insights_secrets` by name); the values never leave the crate.

use hmac::{Hmac, Mac};
use kosodate_database::begin_write;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Value};
use sha2::Sha256;

use crate::sql;

/// Where a key is kept: its table and the column that names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyTable {
    pub table: &'static str,
    pub name_column: &'static str,
}

/// The key named `name` in `place`, made now when there is none (in a write transaction, so that
/// on SQLite it takes its turn with the other writers, and `ON CONFLICT` so that two processes
/// making it at once agree on the first).
pub(crate) async fn stored_or_made(
    db: &DatabaseConnection,
    place: KeyTable,
    name: Value,
) -> Result<Vec<u8>, DbErr> {
    if let Some(key) = stored(db, place, name.clone()).await? {
        return Ok(key);
    }
    let mut fresh = [0u8; 32];
    rand::rng().fill_bytes(&mut fresh);
    let transaction = begin_write(db).await?;
    let insert = format!(
        "INSERT INTO {table} ({column}, secret) VALUES ($1, $2) ON CONFLICT ({column}) DO NOTHING",
        table = place.table,
        column = place.name_column,
    );
    sql::execute(
        &transaction,
        &insert,
        vec![name.clone(), hex::encode(fresh).into()],
    )
    .await?;
    let key = stored(&transaction, place, name).await?;
    transaction.commit().await?;
    key.ok_or_else(|| DbErr::RecordNotFound(format!("a key in {}", place.table)))
}

async fn stored(db: &impl ConnectionTrait, place: KeyTable, name: Value) -> Result<Option<Vec<u8>>, DbErr> {
    let select = format!(
        "SELECT secret FROM {table} WHERE {column} = $1",
        table = place.table,
        column = place.name_column,
    );
    let rows = sql::query(db, &select, vec![name]).await?;
    match rows.first() {
        Some(row) => Ok(Some(row.try_get::<String>("", "secret")?.into_bytes())),
        None => Ok(None),
    }
}

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn mac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}
