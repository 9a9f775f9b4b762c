//! What matching derived from households, stored as personal data with them: one compact state
//! per household (`household_matches`, positions in a catalogue snapshot `match_catalogues`) and
//! the change events (`match_events`) the planner turns into notices. Here rather than beside
//! the runner because a withdrawn consent or a deleted household must take all of it in its own
//! transaction. The runner (crate `kosodate-matching`) decides what to write; this module writes
//! and reads it.

use kosodate_domain::Vocabulary;

mod events;
mod state;
mod write;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::ProgramId;
use sea_orm::sea_query::{
    ColumnRef, Expr, ExprTrait, IntoColumnRef, LockBehavior, LockType, OnConflict, Query, SelectStatement,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

pub use events::{ChangeEvent, RecordedEvent};
pub use state::MatchState;
pub use write::{EventsWritten, StateWrite, write_events, write_states};

use crate::entity::{consent, household, household_match, id_range, match_catalogue, match_event};
use crate::error::HouseholdError;
use crate::ids::HouseholdId;
use crate::purposes::ConsentPurpose;
use crate::store::Households;

/// A snapshot no stored state refers to is removed only after this long, so that a run of
/// another process that has just stored it can still write states that refer to it.
const SNAPSHOT_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// A household's stored state as read back, its positions still in its own snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredState {
    pub catalogue_id: i64,
    pub fingerprint: i64,
    /// [`MatchState::encode`]d; decoded only when the runner needs it.
    pub state: Vec<u8>,
    pub evaluated_on: NaiveDate,
    pub next_check: Option<NaiveDate>,
}

/// A household's stored state, with programs by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMatch {
    pub evaluated_on: NaiveDate,
    pub next_check: Option<NaiveDate>,
    pub eligible: Vec<ProgramId>,
    pub unknown: Vec<ProgramId>,
}

/// Catalogue snapshots already read, by id: the planner reads the stored states of many
/// households, which nearly all name the same snapshot (thousands of program ids).
pub type Snapshots = HashMap<i64, Arc<Vec<(ProgramId, i32)>>>;

impl Households {
    /// The stored state of a household, if it was ever matched.
    pub async fn stored_match(&self, id: HouseholdId) -> Result<Option<StoredMatch>, HouseholdError> {
        stored_match(self.connection(), id, &mut Snapshots::default()).await
    }

    /// The change events recorded for a household, oldest first.
    pub async fn events(&self, household: HouseholdId) -> Result<Vec<ChangeEvent>, HouseholdError> {
        let rows = match_event::Entity::find()
            .filter(match_event::Column::HouseholdId.eq(household.to_string()))
            .order_by_asc(match_event::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter()
            .map(|row| RecordedEvent::of(row).map(|recorded| recorded.event))
            .collect()
    }
}

/// A household's stored state with program ids, read on `db` (a transaction, for the planner).
pub async fn stored_match(
    db: &impl ConnectionTrait,
    id: HouseholdId,
    snapshots: &mut Snapshots,
) -> Result<Option<StoredMatch>, HouseholdError> {
    let Some(row) = household_match::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let programs = match snapshots.get(&row.catalogue_id) {
        Some(programs) => Arc::clone(programs),
        None => {
            let programs = Arc::new(snapshot_programs(db, row.catalogue_id).await?);
            snapshots.insert(row.catalogue_id, Arc::clone(&programs));
            programs
        }
    };
    let state = MatchState::decode(&row.state)?;
    let ids = |positions: &[u32]| -> Vec<ProgramId> {
        positions
            .iter()
            .filter_map(|position| programs.get(*position as usize).map(|(id, _)| *id))
            .collect()
    };
    Ok(Some(StoredMatch {
        evaluated_on: row.evaluated_on,
        next_check: row.next_check,
        eligible: ids(&state.eligible),
        unknown: ids(&state.unknown),
    }))
}

/// The stored states of a batch of households, by household id. `dense`: the households are a
/// page read in id order, so an index range selects their rows.
pub async fn stored_states(
    db: &impl ConnectionTrait,
    households: &[HouseholdId],
    dense: bool,
) -> Result<HashMap<String, StoredState>, HouseholdError> {
    let ids: Vec<String> = households.iter().map(HouseholdId::to_string).collect();
    let of_batch = match (dense, ids.first(), ids.last()) {
        (true, Some(first), Some(last)) => id_range(household_match::Column::HouseholdId, first, last),
        _ => household_match::Column::HouseholdId.is_in(ids),
    };
    let rows = household_match::Entity::find().filter(of_batch).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let state = StoredState {
                catalogue_id: row.catalogue_id,
                fingerprint: row.fingerprint,
                state: row.state,
                evaluated_on: row.evaluated_on,
                next_check: row.next_check,
            };
            (row.household_id, state)
        })
        .collect())
}

/// Households whose stored check date has come.
pub async fn due(db: &impl ConnectionTrait, today: NaiveDate) -> Result<Vec<String>, HouseholdError> {
    Ok(household_match::Entity::find()
        .select_only()
        .column(household_match::Column::HouseholdId)
        .filter(household_match::Column::NextCheck.lte(today))
        .into_tuple()
        .all(db)
        .await?)
}

/// Makes the household's stored state due on `today`, so that the tick re-evaluates it even if
/// the re-match its change asked for never ran (a crash, a busy database).
pub(crate) async fn mark_due(
    db: &impl ConnectionTrait,
    id: HouseholdId,
    today: NaiveDate,
) -> Result<(), HouseholdError> {
    household_match::Entity::update_many()
        .col_expr(household_match::Column::NextCheck, Expr::value(today))
        .filter(household_match::Column::HouseholdId.eq(id.to_string()))
        .exec(db)
        .await?;
    Ok(())
}

/// The id of the stored snapshot of a catalogue (`digest` of `programs`, ids and versions in
/// position order), stored now if it is new.
pub async fn snapshot_id(
    db: &impl ConnectionTrait,
    digest: &str,
    programs: impl Iterator<Item = (ProgramId, i32)>,
) -> Result<i64, HouseholdError> {
    let find = || {
        match_catalogue::Entity::find()
            .select_only()
            .column(match_catalogue::Column::Id)
            .filter(match_catalogue::Column::Digest.eq(digest))
            .into_tuple::<i64>()
            .one(db)
    };
    if let Some(id) = find().await? {
        return Ok(id);
    }
    let programs: Vec<(String, i32)> = programs.map(|(id, version)| (id.to_string(), version)).collect();
    let row = match_catalogue::ActiveModel {
        digest: Set(digest.to_owned()),
        programs: Set(serde_json::json!(programs)),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    // Another process may store the same snapshot at the same moment: the digest is unique.
    match_catalogue::Entity::insert(row)
        .on_conflict(
            OnConflict::column(match_catalogue::Column::Digest)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    find()
        .await?
        .ok_or_else(|| HouseholdError::Corrupt("match catalogue vanished while stored".to_owned()))
}

/// A stored snapshot: program ids and versions in position order.
pub async fn snapshot_programs(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Vec<(ProgramId, i32)>, HouseholdError> {
    let corrupt = |what: String| HouseholdError::Corrupt(format!("match catalogue {id}: {what}"));
    let row = match_catalogue::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("missing".to_owned()))?;
    let programs: Vec<(String, i32)> =
        serde_json::from_value(row.programs).map_err(|error| corrupt(error.to_string()))?;
    programs
        .iter()
        .map(|(id, version)| {
            let id = ProgramId::parse(id).map_err(|error| corrupt(error.to_string()))?;
            Ok((id, *version))
        })
        .collect()
}

/// Snapshots no stored state refers to any more, once they are old enough.
pub async fn prune_snapshots(db: &impl ConnectionTrait, current: i64) -> Result<(), HouseholdError> {
    let referenced = Query::select()
        .expr(Expr::val(1))
        .from(household_match::Entity)
        .and_where(
            Expr::col((household_match::Entity, household_match::Column::CatalogueId))
                .equals((match_catalogue::Entity, match_catalogue::Column::Id)),
        )
        .to_owned();
    match_catalogue::Entity::delete_many()
        .filter(match_catalogue::Column::Id.ne(current))
        .filter(match_catalogue::Column::CreatedAt.lt(Utc::now() - SNAPSHOT_GRACE))
        .filter(Expr::exists(referenced).not())
        .exec(db)
        .await?;
    Ok(())
}

/// Derived rows whose household is gone. The derived tables have no foreign keys, because
/// checking one costs a locked lookup per row written (measured: three times the cost of a bulk
/// upsert on PostgreSQL); every deletion removes them explicitly, and this catches the rest.
pub async fn remove_orphans(db: &impl ConnectionTrait) -> Result<(), HouseholdError> {
    let household_exists = |reference: ColumnRef| {
        Query::select()
            .expr(Expr::val(1))
            .from(household::Entity)
            .and_where(Expr::col((household::Entity, household::Column::Id)).equals(reference))
            .to_owned()
    };
    let state_owner = (household_match::Entity, household_match::Column::HouseholdId).into_column_ref();
    household_match::Entity::delete_many()
        .filter(Expr::exists(household_exists(state_owner)).not())
        .exec(db)
        .await?;
    let event_owner = (match_event::Entity, match_event::Column::HouseholdId).into_column_ref();
    match_event::Entity::delete_many()
        .filter(Expr::exists(household_exists(event_owner)).not())
        .exec(db)
        .await?;
    Ok(())
}

/// After a full run has rewritten many rows, PostgreSQL's planner statistics are stale until
/// autovacuum catches up, and it may then scan whole tables for the tick's indexed lookups.
pub async fn refresh_statistics(db: &impl ConnectionTrait) -> Result<(), HouseholdError> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE households, consents, household_matches, match_events")
            .await?;
    }
    Ok(())
}

/// Removes everything the matcher derived from the households `households` selects (their
/// ids): consent withdrawn, or the households deleted. The derived tables have no foreign keys
/// to cascade from, so every deletion goes through here.
pub(crate) async fn forget_households(
    db: &impl ConnectionTrait,
    households: SelectStatement,
) -> Result<(), HouseholdError> {
    household_match::Entity::delete_many()
        .filter(household_match::Column::HouseholdId.in_subquery(households.clone()))
        .exec(db)
        .await?;
    match_event::Entity::delete_many()
        .filter(match_event::Column::HouseholdId.in_subquery(households))
        .exec(db)
        .await?;
    Ok(())
}

/// The advisory lock that orders matching writes against consent withdrawals and deletions on
/// PostgreSQL: writers share it, a withdrawal takes it alone. SQLite needs none, since its write
/// transactions already run one at a time.
const CONSENT_CHANGE_LOCK: i64 = 0x6b6f_736f_6461_7465;

/// Taken by each matching or planning write transaction before it re-reads consents.
pub async fn exclude_consent_changes(db: &impl ConnectionTrait) -> Result<(), HouseholdError> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock_shared({CONSENT_CHANGE_LOCK})"
        ))
        .await?;
    }
    Ok(())
}

/// Taken by a consent withdrawal or a deletion: it waits for matching writes in flight, which
/// then commit before it and have their rows removed by it, and later writes see it committed.
pub(crate) async fn exclude_matching_writes(db: &impl ConnectionTrait) -> Result<(), HouseholdError> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CONSENT_CHANGE_LOCK})"))
            .await?;
    }
    Ok(())
}

/// Of `households` (a batch in id order), those that still consent to matching, read inside the
/// write transaction: a household whose consent was withdrawn (or that was deleted) after the
/// batch was read gets neither a state nor an event.
pub async fn still_consenting(
    db: &impl ConnectionTrait,
    households: &[HouseholdId],
) -> Result<HashSet<String>, HouseholdError> {
    let ids = households.iter().map(HouseholdId::to_string);
    let (Some(first), Some(last)) = (ids.clone().min(), ids.max()) else {
        return Ok(HashSet::new());
    };
    let consenting: Vec<String> = consent::Entity::find()
        .select_only()
        .column(consent::Column::HouseholdId)
        .filter(id_range(consent::Column::HouseholdId, &first, &last))
        .filter(consent::Column::Purpose.eq(ConsentPurpose::Matching.id()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(consenting.into_iter().collect())
}

/// Events not planned yet, oldest first, at most `limit`. Several planners share the work
/// without waiting on each other's rows (`SKIP LOCKED` on PostgreSQL).
pub async fn unplanned_events(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<RecordedEvent>, HouseholdError> {
    let mut query = match_event::Entity::find()
        .filter(match_event::Column::PlannedAt.is_null())
        .order_by_asc(match_event::Column::Id)
        .limit(limit);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    query.all(db).await?.into_iter().map(RecordedEvent::of).collect()
}

/// Parks events none of whose household's channels could take them: they leave the planner's
/// queue until [`release_waiting`] puts them back.
pub async fn park_waiting(
    db: &impl ConnectionTrait,
    events: &[RecordedEvent],
    now: DateTime<Utc>,
) -> Result<(), HouseholdError> {
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = events.iter().map(|recorded| recorded.id.to_string()).collect();
    match_event::Entity::update_many()
        .col_expr(match_event::Column::PlannedAt, Expr::value(now))
        .col_expr(match_event::Column::WaitingSince, Expr::value(now))
        .filter(match_event::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts a household's waiting events back in the planner's queue: its consents or channels
/// changed, so one may be deliverable now. The planner parks them again if not, and drops those
/// whose deadline passed meanwhile. It waits for planning in flight: a planner that read the
/// channels before this change commits its parking first, and is then released here; without
/// the wait, it could park an event after this ran, and the event would wait for good.
pub(crate) async fn release_waiting(
    db: &impl ConnectionTrait,
    household: HouseholdId,
) -> Result<(), HouseholdError> {
    exclude_matching_writes(db).await?;
    match_event::Entity::update_many()
        .col_expr(
            match_event::Column::PlannedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            match_event::Column::WaitingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(match_event::Column::HouseholdId.eq(household.to_string()))
        .filter(match_event::Column::WaitingSince.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Marks events planned at `now`.
pub async fn mark_planned(
    db: &impl ConnectionTrait,
    events: &[RecordedEvent],
    now: DateTime<Utc>,
) -> Result<(), HouseholdError> {
    let ids: Vec<String> = events.iter().map(|recorded| recorded.id.to_string()).collect();
    match_event::Entity::update_many()
        .col_expr(match_event::Column::PlannedAt, Expr::value(now))
        .filter(match_event::Column::Id.is_in(ids))
        .exec(db)
        .await?;
    Ok(())
}
