//! Transactions that write, one at a time per SQLite file.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a writer waits for its turn (in this process's lane, then for other processes in
/// SQLite's busy handler) before it gives up with a busy error.
pub const WRITE_WAIT: Duration = Duration::from_secs(5);

/// One lane per SQLite file, shared by every pool of this process that opens it.
static LANES: LazyLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = LazyLock::new(Mutex::default);

fn lane(db: &DatabaseConnection) -> Option<Arc<Semaphore>> {
    if db.get_database_backend() != DatabaseBackend::Sqlite {
        return None;
    }
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_owned();
    let mut lanes = LANES.lock().unwrap_or_else(PoisonError::into_inner);
    Some(Arc::clone(
        lanes.entry(file).or_insert_with(|| Arc::new(Semaphore::new(1))),
    ))
}

/// A transaction that writes, holding its turn in the writer lane until it ends.
#[derive(Debug)]
pub struct WriteTransaction {
    transaction: DatabaseTransaction,
    _turn: Option<OwnedSemaphorePermit>,
}

/// Begins a transaction that will write. On SQLite it first waits for its turn in the file's
/// writer lane, then takes SQLite's write lock at once (`BEGIN IMMEDIATE`): a deferred
/// transaction that reads first and writes later fails with "database is locked" instead of
/// waiting when another connection wrote in between. PostgreSQL has no lane and ignores the
/// mode. A turn that does not come within [`WRITE_WAIT`] is a busy error (see
/// [`crate::is_busy`]).
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    let turn = match lane(db) {
        None => None,
        Some(lane) => {
            let permit = tokio::time::timeout(WRITE_WAIT, lane.acquire_owned())
                .await
                .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
                .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
            Some(permit)
        }
    };
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    let transaction = db.begin_with_options(options).await?;
    Ok(WriteTransaction {
        transaction,
        _turn: turn,
    })
}

impl WriteTransaction {
    /// Commits, then gives the turn to the next writer.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.transaction.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.transaction.rollback().await
    }
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.transaction.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.transaction.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.transaction.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.transaction.query_one_raw(statement).await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.transaction.query_all_raw(statement).await
    }

    fn support_returning(&self) -> bool {
        self.transaction.support_returning()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{connect, is_busy};

    async fn sqlite(directory: &std::path::Path) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", directory.join("lane.sqlite").display());
        let db = connect(&url, 4).await.expect("sqlite opens");
        db.execute_unprepared("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
            .await
            .expect("table");
        db
    }

    #[tokio::test]
    async fn writers_of_one_file_take_turns_across_pools() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let (first_pool, second_pool) = (sqlite(directory.path()).await, sqlite(directory.path()).await);
        let long = begin_write(&first_pool).await.expect("first writer");
        long.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .expect("insert");
        let waiting = tokio::spawn(async move {
            let txn = begin_write(&second_pool).await?;
            txn.execute_unprepared("INSERT INTO t VALUES (2)").await?;
            txn.commit().await
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "the second writer waits for its turn");
        long.commit().await.expect("commit");
        waiting
            .await
            .expect("task")
            .expect("the second writer gets its turn");
        let rows = first_pool
            .query_all_raw(Statement::from_string(DatabaseBackend::Sqlite, "SELECT x FROM t"))
            .await
            .expect("select");
        assert_eq!(rows.len(), 2);
    }

    #[tokio::test]
    async fn a_writer_that_waits_too_long_gets_a_busy_error() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let db = sqlite(directory.path()).await;
        let _long = begin_write(&db).await.expect("first writer");
        let error = begin_write(&db).await.expect_err("no turn within the wait");
        assert!(is_busy(&error), "{error}");
    }
}
