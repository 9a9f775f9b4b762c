//! A full run shared by several processes: the run (`match_runs`) and its partitions
//! (`match_partitions`, household id ranges of about `size` households). A process claims one
//! partition at a time under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that claims do
//! not wait on each other; SQLite runs one process and needs none), and marks it done in the
//! transaction that writes its results, so that a partition is either written and done or
//! neither. A process killed mid-partition leaves its lease to run out; another process then
//! claims the partition again and redoes it, and the stored fingerprints and the events' unique
//! keys make whatever the dead process had not written the only thing written. Times are the
//! database's clock in milliseconds, the one clock every process shares; this crate reads none.

use chrono::NaiveDate;
use kosodate_database::begin_write;
use kosodate_households::population::id_boundaries;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};

use crate::error::MatchingError;

/// Serialises the creation of runs on PostgreSQL, so that processes starting together join one
/// run instead of each creating its own. SQLite's write transactions already run one at a time.
const RUN_CREATION_LOCK: i64 = 0x6d61_7463_6872_756e;

/// Partition rows per INSERT, under both databases' bound-parameter limits.
const INSERT_CHUNK: usize = 1_000;

/// A run, as every process that works on it sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedRun {
    pub id: i64,
    /// The reference date of the run: every process evaluates against it.
    pub run_on: NaiveDate,
}

/// A partition a process holds the lease on: household ids in `(after, until]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub run_id: i64,
    pub number: i32,
    pub after: Option<String>,
    pub until: Option<String>,
}

/// What one partition's write did, stored with it for the run's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PartitionCounts {
    pub households: u64,
    pub unchanged: u64,
    pub states_written: u64,
    pub events: u64,
}

/// A whole run's figures, summed over its partitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunTotals {
    pub partitions: u64,
    pub done: u64,
    /// Partitions claimed more than once: their first process died or its lease ran out.
    pub reclaimed: u64,
    pub households: u64,
    pub unchanged: u64,
    pub states_written: u64,
    pub events: u64,
}

/// The database's clock in milliseconds since the epoch.
fn now_ms(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint",
        _ => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
    }
}

/// A statement written with `$n` placeholders, as SQLite spells them (`?n`) there.
fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => sql.replace("{now}", now_ms(backend)),
        _ => sql.replace("{now}", now_ms(backend)).replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The open run of `today`, joined; or a new one cut into partitions of `size` households. An
/// open run of another day is left unfinished by processes that died: it is closed, since its
/// date's answers are stale, and the new run redoes its households.
pub async fn open_or_create(
    db: &DatabaseConnection,
    today: NaiveDate,
    size: u64,
) -> Result<SharedRun, MatchingError> {
    let txn = begin_write(db).await?;
    let backend = txn.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        txn.execute_raw(statement(
            backend,
            "SELECT pg_advisory_xact_lock($1)",
            vec![RUN_CREATION_LOCK.into()],
        ))
        .await?;
    }
    if let Some(run) = open_run(&txn, Some(today)).await? {
        txn.commit().await?;
        return Ok(run);
    }
    txn.execute_raw(statement(
        backend,
        "UPDATE match_runs SET finished_ms = {now} WHERE finished_ms IS NULL",
        Vec::new(),
    ))
    .await?;
    let bounds = id_boundaries(&txn, size).await?;
    let row = txn
        .query_one_raw(statement(
            backend,
            "INSERT INTO match_runs (run_on, partitions, created_ms) VALUES ($1, $2, {now}) RETURNING id",
            vec![
                today.into(),
                i32::try_from(bounds.len() + 1).unwrap_or(i32::MAX).into(),
            ],
        ))
        .await?
        .ok_or_else(|| MatchingError::Corrupt("a new match run returned no id".to_owned()))?;
    let run = SharedRun {
        id: row.try_get("", "id")?,
        run_on: today,
    };
    insert_partitions(&txn, run.id, &bounds).await?;
    txn.commit().await?;
    tracing::info!(run = run.id, partitions = bounds.len() + 1, "match run created");
    Ok(run)
}

/// The open run, of `day` when given.
pub async fn open_run(
    db: &impl ConnectionTrait,
    day: Option<NaiveDate>,
) -> Result<Option<SharedRun>, MatchingError> {
    let backend = db.get_database_backend();
    let (filter, values) = match day {
        Some(day) => ("AND run_on = $1", vec![day.into()]),
        None => ("", Vec::new()),
    };
    let sql =
        format!("SELECT id, run_on FROM match_runs WHERE finished_ms IS NULL {filter} ORDER BY id LIMIT 1");
    let Some(row) = db.query_one_raw(statement(backend, &sql, values)).await? else {
        return Ok(None);
    };
    Ok(Some(SharedRun {
        id: row.try_get("", "id")?,
        run_on: row.try_get("", "run_on")?,
    }))
}

/// Partition `n` holds the ids in `(bounds[n - 1], bounds[n]]`; the first starts at the
/// beginning, the last runs to the end, so that households added since are in it.
async fn insert_partitions(
    db: &impl ConnectionTrait,
    run_id: i64,
    bounds: &[String],
) -> Result<(), MatchingError> {
    let backend = db.get_database_backend();
    let mut ranges: Vec<(Option<&String>, Option<&String>)> = Vec::with_capacity(bounds.len() + 1);
    let mut after = None;
    for bound in bounds.iter().map(Some).chain([None]) {
        ranges.push((after, bound));
        after = bound;
    }
    for (chunk_number, chunk) in ranges.chunks(INSERT_CHUNK).enumerate() {
        let mut rows = Vec::with_capacity(chunk.len());
        let mut values: Vec<Value> = vec![run_id.into()];
        for (offset, (after, until)) in chunk.iter().enumerate() {
            let number = chunk_number * INSERT_CHUNK + offset;
            let next = values.len();
            rows.push(format!("($1, {number}, ${}, ${})", next + 1, next + 2));
            values.push(after.cloned().into());
            values.push(until.cloned().into());
        }
        let sql = format!(
            "INSERT INTO match_partitions (run_id, number, after_id, until_id) VALUES {}",
            rows.join(", ")
        );
        db.execute_raw(statement(backend, &sql, values)).await?;
    }
    Ok(())
}

/// Claims the first partition of `run` that is neither done nor under a live lease, for
/// `lease_ms`. The choice is a `MATERIALIZED` CTE so that it is made once (see the outbox's
/// claim, where a sub-select re-run for each row claimed more than asked for).
pub async fn claim(
    db: &DatabaseConnection,
    run: SharedRun,
    owner: &str,
    lease_ms: i64,
) -> Result<Option<Partition>, MatchingError> {
    let txn = begin_write(db).await?;
    let backend = txn.get_database_backend();
    let lock = match backend {
        DatabaseBackend::Postgres => "FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "WITH free AS MATERIALIZED (SELECT number FROM match_partitions \
             WHERE run_id = $1 AND done_ms IS NULL \
               AND (lease_until_ms IS NULL OR lease_until_ms < {{now}}) \
             ORDER BY number LIMIT 1 {lock}) \
         UPDATE match_partitions SET leased_by = $2, lease_until_ms = {{now}} + $3, claims = claims + 1 \
         WHERE run_id = $1 AND number IN (SELECT number FROM free) \
         RETURNING number, after_id, until_id"
    );
    let values: Vec<Value> = vec![run.id.into(), owner.into(), lease_ms.into()];
    let row = txn.query_one_raw(statement(backend, &sql, values)).await?;
    txn.commit().await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Partition {
        run_id: run.id,
        number: row.try_get("", "number")?,
        after: row.try_get("", "after_id")?,
        until: row.try_get("", "until_id")?,
    }))
}

/// Extends `owner`'s leases on the partitions of `run` it has not finished by `lease_ms` from
/// now, so that a partition that takes longer than one lease (a slow database) is not claimed by
/// another process and done twice. A lease another process took over after it ran out is that
/// process's now (`leased_by` changed), and stays so. How many leases were extended.
pub async fn renew(
    db: &DatabaseConnection,
    run: SharedRun,
    owner: &str,
    lease_ms: i64,
) -> Result<u64, MatchingError> {
    let backend = db.get_database_backend();
    let result = db
        .execute_raw(statement(
            backend,
            "UPDATE match_partitions SET lease_until_ms = {now} + $3 \
             WHERE run_id = $1 AND leased_by = $2 AND done_ms IS NULL",
            vec![run.id.into(), owner.into(), lease_ms.into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

/// Marks a partition done in the transaction that writes it. `false`: another process wrote it
/// already (this one's lease ran out meanwhile), and the caller must write nothing. On
/// PostgreSQL the row stays locked until the transaction ends, so two writers of one partition
/// take turns and the second sees the first one's mark.
pub(crate) async fn mark_done(
    db: &impl ConnectionTrait,
    partition: &Partition,
) -> Result<bool, MatchingError> {
    let backend = db.get_database_backend();
    let result = db
        .execute_raw(statement(
            backend,
            "UPDATE match_partitions SET done_ms = {now} \
             WHERE run_id = $1 AND number = $2 AND done_ms IS NULL",
            vec![partition.run_id.into(), partition.number.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Stores what a partition's write did, in the same transaction as [`mark_done`].
pub(crate) async fn record_counts(
    db: &impl ConnectionTrait,
    partition: &Partition,
    counts: PartitionCounts,
) -> Result<(), MatchingError> {
    let backend = db.get_database_backend();
    let count = |value: u64| Value::from(i64::try_from(value).unwrap_or(i64::MAX));
    db.execute_raw(statement(
        backend,
        "UPDATE match_partitions SET households = $3, unchanged = $4, states_written = $5, events = $6 \
         WHERE run_id = $1 AND number = $2",
        vec![
            partition.run_id.into(),
            partition.number.into(),
            count(counts.households),
            count(counts.unchanged),
            count(counts.states_written),
            count(counts.events),
        ],
    ))
    .await?;
    Ok(())
}

/// How many partitions of `run` are not done yet, claimed or not.
pub(crate) async fn not_done(db: &DatabaseConnection, run: SharedRun) -> Result<u64, MatchingError> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(statement(
            backend,
            "SELECT COUNT(*) AS open FROM match_partitions WHERE run_id = $1 AND done_ms IS NULL",
            vec![run.id.into()],
        ))
        .await?;
    let open: i64 = row.map(|row| row.try_get("", "open")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(open).unwrap_or(0))
}

/// Marks the run finished once every partition is done. `true` for the one process that did,
/// which then does what follows a full run once.
pub(crate) async fn finish(db: &DatabaseConnection, run: SharedRun) -> Result<bool, MatchingError> {
    let backend = db.get_database_backend();
    let result = db
        .execute_raw(statement(
            backend,
            "UPDATE match_runs SET finished_ms = {now} WHERE id = $1 AND finished_ms IS NULL \
             AND NOT EXISTS (SELECT 1 FROM match_partitions WHERE run_id = $1 AND done_ms IS NULL)",
            vec![run.id.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A run's figures, summed over its partitions.
pub async fn totals(db: &impl ConnectionTrait, run_id: i64) -> Result<RunTotals, MatchingError> {
    let backend = db.get_database_backend();
    let sum = |column: &str| format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS {column}");
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS partitions, \
             CAST(COUNT(done_ms) AS BIGINT) AS done, \
             CAST(COALESCE(SUM(CASE WHEN claims > 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS reclaimed, \
             {}, {}, {}, {} FROM match_partitions WHERE run_id = $1",
        sum("households"),
        sum("unchanged"),
        sum("states_written"),
        sum("events")
    );
    let row = db
        .query_one_raw(statement(backend, &sql, vec![run_id.into()]))
        .await?
        .ok_or_else(|| MatchingError::Corrupt(format!("match run {run_id}: no totals")))?;
    let get = |column: &str| -> Result<u64, MatchingError> {
        let value: i64 = row.try_get("", column)?;
        Ok(u64::try_from(value).unwrap_or(0))
    };
    Ok(RunTotals {
        partitions: get("partitions")?,
        done: get("done")?,
        reclaimed: get("reclaimed")?,
        households: get("households")?,
        unchanged: get("unchanged")?,
        states_written: get("states_written")?,
        events: get("events")?,
    })
}
