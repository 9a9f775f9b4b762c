//! Writing a batch's outcomes: household states and change events, in the caller's transaction.
//!
//! PostgreSQL gets one statement per chunk with one array per column (`INSERT … SELECT FROM
//! UNNEST`), which it parses and plans once; a multi-row `VALUES` list of 2,000 rows binds up to
//! 18,000 parameters and costs several times more. SQLite, in-process, takes the `VALUES` lists.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseBackend, EntityTrait, Statement, Value};
use uuid::Uuid;

use std::collections::BTreeMap;

use kosodate_domain::NoticeKind;

use super::events::ChangeEvent;
use super::state::MatchState;
use crate::entity::{household_match, match_event};
use crate::error::HouseholdError;
use crate::ids::HouseholdId;

/// Rows per multi-row statement, under both databases' bound-parameter limits.
const WRITE_CHUNK: usize = 2_000;

/// A household's new state, as the runner decided it.
#[derive(Debug, Clone)]
pub struct StateWrite {
    pub household: HouseholdId,
    pub fingerprint: i64,
    pub state: MatchState,
    pub next_check: Option<NaiveDate>,
}

/// What [`write_events`] recorded: new events per kind, and the first of them for a person to
/// look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsWritten {
    pub per_kind: BTreeMap<NoticeKind, u64>,
    pub sample: Vec<(HouseholdId, ChangeEvent)>,
}

/// Upserts the new states of a batch, in the caller's transaction.
pub async fn write_states(
    txn: &impl ConnectionTrait,
    states: &[StateWrite],
    catalogue_id: i64,
    today: NaiveDate,
) -> Result<(), HouseholdError> {
    for chunk in states.chunks(WRITE_CHUNK) {
        match txn.get_database_backend() {
            DatabaseBackend::Postgres => upsert_states_unnest(txn, chunk, catalogue_id, today).await?,
            _ => upsert_states_values(txn, chunk, catalogue_id, today).await?,
        }
    }
    Ok(())
}

async fn upsert_states_values(
    txn: &impl ConnectionTrait,
    states: &[StateWrite],
    catalogue_id: i64,
    today: NaiveDate,
) -> Result<(), HouseholdError> {
    let rows = states.iter().map(|new| household_match::ActiveModel {
        household_id: Set(new.household.to_string()),
        catalogue_id: Set(catalogue_id),
        fingerprint: Set(new.fingerprint),
        state: Set(new.state.encode()),
        evaluated_on: Set(today),
        next_check: Set(new.next_check),
    });
    household_match::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(household_match::Column::HouseholdId)
                .update_columns([
                    household_match::Column::CatalogueId,
                    household_match::Column::Fingerprint,
                    household_match::Column::State,
                    household_match::Column::EvaluatedOn,
                    household_match::Column::NextCheck,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

const UPSERT_STATES_UNNEST: &str = "\
    INSERT INTO household_matches \
        (household_id, catalogue_id, fingerprint, state, evaluated_on, next_check) \
    SELECT household_id, $1, fingerprint, state, $2, NULLIF(next_check, '')::date \
    FROM UNNEST($3::varchar[], $4::bigint[], $5::bytea[], $6::text[]) \
        AS batch (household_id, fingerprint, state, next_check) \
    ON CONFLICT (household_id) DO UPDATE SET \
        catalogue_id = EXCLUDED.catalogue_id, fingerprint = EXCLUDED.fingerprint, \
        state = EXCLUDED.state, evaluated_on = EXCLUDED.evaluated_on, \
        next_check = EXCLUDED.next_check";

async fn upsert_states_unnest(
    txn: &impl ConnectionTrait,
    states: &[StateWrite],
    catalogue_id: i64,
    today: NaiveDate,
) -> Result<(), HouseholdError> {
    let ids: Vec<String> = states.iter().map(|new| new.household.to_string()).collect();
    let fingerprints: Vec<i64> = states.iter().map(|new| new.fingerprint).collect();
    let encoded: Vec<Vec<u8>> = states.iter().map(|new| new.state.encode()).collect();
    let next_checks: Vec<String> = states.iter().map(|new| optional_date(new.next_check)).collect();
    let values: Vec<Value> = vec![
        catalogue_id.into(),
        today.into(),
        ids.into(),
        fingerprints.into(),
        encoded.into(),
        next_checks.into(),
    ];
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        UPSERT_STATES_UNNEST,
        values,
    ))
    .await?;
    Ok(())
}

/// Arrays bound as parameters cannot hold NULL here: an empty string stands for it and the SQL
/// turns it back with `NULLIF`.
fn optional_date(date: Option<NaiveDate>) -> String {
    date.map(|date| date.to_string()).unwrap_or_default()
}

/// Records a batch's change events in the caller's transaction; repeats of recorded ones are
/// skipped, and counted per kind only when new. `sample_size`: how many new events to return
/// for a person to look at.
pub async fn write_events(
    txn: &impl ConnectionTrait,
    mut events: Vec<(HouseholdId, &ChangeEvent)>,
    today: NaiveDate,
    sample_size: usize,
) -> Result<EventsWritten, HouseholdError> {
    let now = Utc::now();
    let mut written = EventsWritten::default();
    // Grouped by kind so that the count of rows inserted is per kind.
    events.sort_by_key(|(_, event)| event.kind);
    for group in events.chunk_by(|(_, a), (_, b)| a.kind == b.kind) {
        for chunk in group.chunks(WRITE_CHUNK) {
            let inserted = match txn.get_database_backend() {
                DatabaseBackend::Postgres => insert_events_unnest(txn, chunk, today, now).await?,
                _ => insert_events_values(txn, chunk, today, now).await?,
            };
            *written.per_kind.entry(chunk[0].1.kind).or_default() += inserted;
            if inserted == chunk.len() as u64 {
                let room = sample_size.saturating_sub(written.sample.len());
                written.sample.extend(
                    chunk
                        .iter()
                        .take(room)
                        .map(|(household, event)| (*household, (*event).clone())),
                );
            }
        }
    }
    Ok(written)
}

async fn insert_events_values(
    txn: &impl ConnectionTrait,
    events: &[(HouseholdId, &ChangeEvent)],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<u64, HouseholdError> {
    let rows = events
        .iter()
        .map(|(household_id, event)| match_event::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            household_id: Set(household_id.to_string()),
            program_id: Set(event.program_id.map(|id| id.to_string())),
            kind: Set(event.kind.id().to_owned()),
            anchor_on: Set(event.anchor_on),
            opens_on: Set(event.opens_on),
            closes_on: Set(event.closes_on),
            occurs_on: Set(today),
            created_at: Set(now),
            planned_at: Set(None),
            waiting_since: Set(None),
        });
    // The unique keys ((household, program, kind, anchor), and (household, kind, anchor) for
    // household events) make a repeated decision, or a concurrent run's, a no-op.
    let inserted = match_event::Entity::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    Ok(inserted)
}

const INSERT_EVENTS_UNNEST: &str = "\
    INSERT INTO match_events \
        (id, household_id, program_id, kind, anchor_on, opens_on, closes_on, occurs_on, created_at) \
    SELECT id, household_id, NULLIF(program_id, ''), kind, anchor_on, \
        NULLIF(opens_on, '')::date, NULLIF(closes_on, '')::date, $1, $2 \
    FROM UNNEST($3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[], $7::date[], \
        $8::text[], $9::text[]) \
        AS batch (id, household_id, program_id, kind, anchor_on, opens_on, closes_on) \
    ON CONFLICT DO NOTHING";

async fn insert_events_unnest(
    txn: &impl ConnectionTrait,
    events: &[(HouseholdId, &ChangeEvent)],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<u64, HouseholdError> {
    let column = |value: &dyn Fn(&HouseholdId, &ChangeEvent) -> String| -> Value {
        events
            .iter()
            .map(|(household, event)| value(household, event))
            .collect::<Vec<String>>()
            .into()
    };
    let anchors: Vec<NaiveDate> = events.iter().map(|(_, event)| event.anchor_on).collect();
    let values: Vec<Value> = vec![
        today.into(),
        now.into(),
        column(&|_, _| Uuid::now_v7().to_string()),
        column(&|household, _| household.to_string()),
        column(&|_, event| event.program_id.map(|id| id.to_string()).unwrap_or_default()),
        column(&|_, event| event.kind.id().to_owned()),
        anchors.into(),
        column(&|_, event| optional_date(event.opens_on)),
        column(&|_, event| optional_date(event.closes_on)),
    ];
    let result = txn
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            INSERT_EVENTS_UNNEST,
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}
