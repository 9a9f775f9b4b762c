//! Raw statements written once for both databases: `$1`-style placeholders, which SQLite reads
//! as `?1`, and multi-row inserts in chunks below either database's parameter limit.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Statement, Value};

/// Parameters per statement: SQLite's default limit is 32766, PostgreSQL's 65535.
const MAX_PARAMETERS: usize = 30_000;

pub(crate) fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

pub(crate) async fn query(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all_raw(statement(db.get_database_backend(), sql, values))
        .await
}

pub(crate) async fn execute(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(statement(db.get_database_backend(), sql, values))
        .await?;
    Ok(result.rows_affected())
}

/// Inserts `rows` (each with one value per column) into `table`.
pub(crate) async fn insert_rows(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    let per_statement = (MAX_PARAMETERS / columns.len().max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut tuples = Vec::with_capacity(chunk.len());
        let mut values = Vec::with_capacity(chunk.len() * columns.len());
        for row in chunk {
            let start = values.len();
            let placeholders: Vec<String> = (1..=row.len()).map(|n| format!("${}", start + n)).collect();
            tuples.push(format!("({})", placeholders.join(", ")));
            values.extend(row);
        }
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(", "),
            tuples.join(", ")
        );
        execute(db, &sql, values).await?;
    }
    Ok(())
}

/// A count column; sums are written `CAST(SUM(x) AS BIGINT)`, since PostgreSQL sums bigints
/// into numeric.
pub(crate) fn count(row: &QueryResult, column: &str) -> Result<u64, DbErr> {
    let value: i64 = row.try_get("", column)?;
    Ok(u64::try_from(value).unwrap_or(0))
}
