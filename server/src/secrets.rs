//! Keys the service makes for itself on first start and keeps in the database (`service_secrets`),
//! so that every server and worker process uses the same ones with nothing to configure: the key
//! that signs notice action links, and the VAPID key of Web Push.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, Value};

/// The stored secret `name`, created with `generate` if there is none yet. Two processes starting
/// together both try to insert; the first wins and both read its value.
pub async fn get_or_create(
    db: &DatabaseConnection,
    name: &str,
    generate: impl FnOnce() -> String,
) -> Result<String, DbErr> {
    let backend = db.get_database_backend();
    let insert = Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DatabaseBackend::Postgres => {
                "INSERT INTO service_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
            }
            _ => {
                "INSERT INTO service_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
            }
        },
        [
            Value::from(name),
            Value::from(generate()),
            Value::from(chrono::Utc::now()),
        ],
    );
    db.execute_raw(insert).await?;
    let select = Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DatabaseBackend::Postgres => "SELECT value FROM service_secrets WHERE name = $1",
            _ => "SELECT value FROM service_secrets WHERE name = ?",
        },
        [Value::from(name)],
    );
    let row = db
        .query_one_raw(select)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("service secret {name}")))?;
    row.try_get("", "value")
}

/// 32 random bytes, base64url: the link-signing key.
pub fn random_key() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
