//! Batch and incremental matching: evaluates consenting households against the programs that
//! apply to them, stores one compact state per household, and records change events for the
//! notifier in the same transaction. Four entry points share one batch step: a full run; a
//! program published or changed (only the households in its area); a household changed (only
//! itself); and the tick (only households whose stored check date has come, and consenting
//! households never matched). Every entry point skips a household whose fingerprint and check
//! date say its stored state is still right, so repeating a run costs reads only.

mod catalogue;
mod decide;
mod state;
mod write;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use kosodate_domain::{MunicipalityCode, ProgramId};
use kosodate_matcher::{Area, Eligibility, PreparedHousehold, Truth};
use kosodate_registry::{ProgramOwner, Registry, Visibility};
use rayon::prelude::*;
use sea_orm::sea_query::{ColumnRef, Expr, ExprTrait, IntoColumnRef, OnConflict, Query, SelectStatement};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

pub use catalogue::{Catalogue, CatalogueEntry, application, entry};
pub use decide::{
    ChangeEvent, EventKind, MatchPolicy, ProgramMatch, ProgramSeen, ResultDetail, Seen, pair_events,
    pair_next_check,
};
pub use state::MatchState;

use crate::entity::{consent, household, household_match, match_catalogue, match_event};
use crate::error::HouseholdError;
use crate::store::{
    ConsentPurpose, HouseholdId, Households, StoredHousehold, consenting_page, id_range, never_matched,
};

/// Households per batch: one read of their stored states, one transaction of writes.
const BATCH: u64 = 2_000;
/// Rows per multi-row statement, under both databases' bound-parameter limits.
const WRITE_CHUNK: usize = 2_000;
const SAMPLE_SIZE: usize = 20;
/// A snapshot no stored state refers to is removed only after this long, so that a run of
/// another process that has just stored it can still write states that refer to it.
const SNAPSHOT_GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// What happened in a run, for the CLI and the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Households evaluated.
    pub households: u64,
    /// Households whose stored state was still right.
    pub unchanged: u64,
    pub programs: u64,
    pub pairs_evaluated: u64,
    pub states_written: u64,
    pub events: BTreeMap<EventKind, u64>,
    /// For each program, how many of the households evaluated were found eligible.
    pub eligible: BTreeMap<ProgramId, u64>,
    /// The first events recorded, for a person to look at.
    pub sample: Vec<(HouseholdId, ChangeEvent)>,
}

/// A household's stored state, with programs by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMatch {
    pub evaluated_on: NaiveDate,
    pub next_check: Option<NaiveDate>,
    pub eligible: Vec<ProgramId>,
    pub unknown: Vec<ProgramId>,
}

#[derive(Debug, Clone)]
pub struct MatchRunner {
    households: Households,
    registry: Registry,
    policy: MatchPolicy,
}

/// Which consenting households a run looks at.
enum Scope {
    All,
    /// The households of an area; `municipalities` narrows the read when the area is one city.
    Area {
        area: Area,
        municipalities: Option<Vec<MunicipalityCode>>,
    },
    Ids(Vec<String>),
}

/// What every batch of one run shares.
struct Run {
    catalogue: Arc<Catalogue>,
    catalogue_id: i64,
    /// For stored states of other snapshots.
    translations: HashMap<i64, Arc<SnapshotMap>>,
    /// Households found eligible, by catalogue position.
    eligible_counts: Vec<u64>,
}

impl MatchRunner {
    pub fn new(households: Households, registry: Registry, policy: MatchPolicy) -> Self {
        Self {
            households,
            registry,
            policy,
        }
    }

    /// What the matcher finds for a consenting household on `today`: every applicable program
    /// with something to say within the horizon, with windows, application periods and missing
    /// facts. Computed on demand (about 0.1 ms for 2,500 programs); `None` when the household
    /// does not exist or has not consented to matching.
    pub async fn programs_for(
        &self,
        id: HouseholdId,
        today: NaiveDate,
    ) -> Result<Option<Vec<ProgramMatch>>, HouseholdError> {
        let ids = [id.to_string()];
        let db = self.households.connection();
        let Some(stored) = consenting_page(db, None, 1, None, Some(&ids))
            .await?
            .households
            .pop()
        else {
            return Ok(None);
        };
        let catalogue = Catalogue::load(&self.registry).await?;
        let prepared = PreparedHousehold::new(&stored.household);
        let horizon = self.policy.horizon(today);
        let mut matches: Vec<ProgramMatch> = catalogue
            .applicable(stored.household.municipality)
            .map(|(_, entry)| assess(entry, &prepared, today, horizon, self.policy, Detail::Full))
            .filter(ProgramMatch::matters)
            .collect();
        matches.sort_by_key(|found| found.program_id);
        Ok(Some(matches))
    }

    /// The stored state of a household, if it was ever matched.
    pub async fn stored(&self, id: HouseholdId) -> Result<Option<StoredMatch>, HouseholdError> {
        stored_match(self.households.connection(), id, &mut Snapshots::default()).await
    }

    /// The change events recorded for a household, oldest first.
    pub async fn events(&self, household: HouseholdId) -> Result<Vec<ChangeEvent>, HouseholdError> {
        let rows = match_event::Entity::find()
            .filter(match_event::Column::HouseholdId.eq(household.to_string()))
            .order_by_asc(match_event::Column::Id)
            .all(self.households.connection())
            .await?;
        rows.iter()
            .map(|row| {
                let corrupt = |what: &str| HouseholdError::Corrupt(format!("match event {}: {what}", row.id));
                let program_id = row
                    .program_id
                    .as_deref()
                    .map(ProgramId::parse)
                    .transpose()
                    .map_err(|_| corrupt("program id"))?;
                Ok(ChangeEvent {
                    program_id,
                    kind: EventKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
                    anchor_on: row.anchor_on,
                    opens_on: row.opens_on,
                    closes_on: row.closes_on,
                })
            })
            .collect()
    }

    /// Every consenting household against every program that applies to it.
    pub async fn run_full(&self, today: NaiveDate) -> Result<MatchReport, HouseholdError> {
        let mut run = self.start().await?;
        let mut report = run.report();
        self.run_scope(&mut run, Scope::All, today, &mut report).await?;
        let db = self.households.connection();
        remove_orphans(db).await?;
        refresh_statistics(db).await?;
        Ok(report)
    }

    /// A program was published, changed or archived: only the households in its area can be
    /// affected, and of those only the ones whose fingerprint changed are evaluated.
    pub async fn run_program(
        &self,
        program_id: ProgramId,
        today: NaiveDate,
    ) -> Result<MatchReport, HouseholdError> {
        let program = self.registry.program(program_id, Visibility::Staff).await?;
        let area = match program.content.owner {
            ProgramOwner::National => Area::National,
            ProgramOwner::Local(code) => Area::of_owner(Some(code)),
        };
        let municipalities = match area {
            Area::Municipality(code) => Some(vec![code]),
            Area::National | Area::Prefecture(_) => None,
        };
        let mut run = self.start().await?;
        let mut report = run.report();
        let scope = Scope::Area { area, municipalities };
        self.run_scope(&mut run, scope, today, &mut report).await?;
        Ok(report)
    }

    /// A household changed: re-evaluate it alone.
    pub async fn run_household(
        &self,
        id: HouseholdId,
        today: NaiveDate,
    ) -> Result<MatchReport, HouseholdError> {
        let mut run = self.start().await?;
        let mut report = run.report();
        self.run_scope(&mut run, Scope::Ids(vec![id.to_string()]), today, &mut report)
            .await?;
        Ok(report)
    }

    /// The tick: households whose check date has come, and consenting households that were
    /// never matched (say, registered while no server was running).
    pub async fn run_tick(&self, today: NaiveDate) -> Result<MatchReport, HouseholdError> {
        let db = self.households.connection();
        let mut ids: Vec<String> = household_match::Entity::find()
            .select_only()
            .column(household_match::Column::HouseholdId)
            .filter(household_match::Column::NextCheck.lte(today))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(never_matched(db).await?);
        ids.sort();
        ids.dedup();
        let mut run = self.start().await?;
        let mut report = run.report();
        if !ids.is_empty() {
            self.run_scope(&mut run, Scope::Ids(ids), today, &mut report)
                .await?;
        }
        Ok(report)
    }

    async fn start(&self) -> Result<Run, HouseholdError> {
        let catalogue = Catalogue::load(&self.registry).await?;
        let catalogue_id = snapshot_id(self.households.connection(), &catalogue).await?;
        Ok(Run {
            eligible_counts: vec![0; catalogue.len()],
            catalogue: Arc::new(catalogue),
            catalogue_id,
            translations: HashMap::new(),
        })
    }

    /// Reads, evaluates and writes the households of `scope`, batch by batch, in three stages
    /// joined by channels of depth 1: reading the next batch and writing the previous one
    /// overlap evaluating the current one. Reads and writes are one connection's work each, the
    /// evaluation every core's.
    async fn run_scope(
        &self,
        run: &mut Run,
        scope: Scope,
        today: NaiveDate,
        report: &mut MatchReport,
    ) -> Result<(), HouseholdError> {
        let db = self.households.connection();
        let Run {
            catalogue,
            catalogue_id,
            translations,
            eligible_counts,
        } = run;
        let (catalogue, catalogue_id) = (Arc::clone(catalogue), *catalogue_id);
        let (read, mut to_evaluate) = tokio::sync::mpsc::channel::<ReadBatch>(1);
        let (evaluated, to_write) = tokio::sync::mpsc::channel::<Vec<HouseholdOutcome>>(1);
        let reader = self.read_scope(&scope, &catalogue, catalogue_id, translations, read);
        let evaluator = async {
            let evaluated = evaluated;
            while let Some(batch) = to_evaluate.recv().await {
                let outcomes = self
                    .evaluate_batch(&catalogue, catalogue_id, batch, today)
                    .await?;
                tally(&outcomes, report, eligible_counts);
                evaluated
                    .send(outcomes)
                    .await
                    .map_err(|_| stage_stopped("writer"))?;
            }
            Ok::<_, HouseholdError>(())
        };
        // On PostgreSQL two writers on two connections: batches are disjoint, and the server
        // inserts on both cores. SQLite takes one writer at a time, and a second one would only
        // sleep in its busy handler.
        let to_write = tokio::sync::Mutex::new(to_write);
        let (mut first_written, mut second_written) = (MatchReport::default(), MatchReport::default());
        let first_writer = write_batches(db, &to_write, catalogue_id, today, &mut first_written);
        let second_writer = async {
            match db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    write_batches(db, &to_write, catalogue_id, today, &mut second_written).await
                }
                _ => Ok(()),
            }
        };
        tokio::try_join!(reader, evaluator, first_writer, second_writer)?;
        for written in [first_written, second_written] {
            report.states_written += written.states_written;
            for (kind, count) in written.events {
                *report.events.entry(kind).or_default() += count;
            }
            let room = SAMPLE_SIZE.saturating_sub(report.sample.len());
            report.sample.extend(written.sample.into_iter().take(room));
        }
        prune_snapshots(db, catalogue_id).await?;
        report.eligible = (0u32..)
            .zip(eligible_counts.iter())
            .filter(|(_, count)| **count > 0)
            .filter_map(|(position, count)| Some((catalogue.at(position)?.id, *count)))
            .collect();
        Ok(())
    }

    /// Pages through the consenting households of `scope`, with their stored states.
    async fn read_scope(
        &self,
        scope: &Scope,
        catalogue: &Catalogue,
        catalogue_id: i64,
        translations: &mut HashMap<i64, Arc<SnapshotMap>>,
        read: tokio::sync::mpsc::Sender<ReadBatch>,
    ) -> Result<(), HouseholdError> {
        let db = self.households.connection();
        let (municipalities, ids) = match scope {
            Scope::All => (None, None),
            Scope::Area { municipalities, .. } => (municipalities.as_deref(), None),
            Scope::Ids(ids) => (None, Some(ids.as_slice())),
        };
        for chunk in ids.map_or(vec![None], |ids| ids.chunks(BATCH as usize).map(Some).collect()) {
            let mut after: Option<String> = None;
            loop {
                let page = consenting_page(db, after.as_deref(), BATCH, municipalities, chunk).await?;
                let households: Vec<StoredHousehold> = match scope {
                    Scope::Area { area, .. } => page
                        .households
                        .into_iter()
                        .filter(|stored| area.includes(stored.household.municipality))
                        .collect(),
                    Scope::All | Scope::Ids(_) => page.households,
                };
                if !households.is_empty() {
                    let previous = stored_states(db, &households, chunk.is_none()).await?;
                    for row in previous.values() {
                        if row.catalogue_id != catalogue_id && !translations.contains_key(&row.catalogue_id) {
                            let programs = snapshot_programs(db, row.catalogue_id).await?;
                            let map = SnapshotMap::new(&programs, catalogue);
                            translations.insert(row.catalogue_id, Arc::new(map));
                        }
                    }
                    let batch = ReadBatch {
                        households,
                        previous,
                        translations: translations.clone(),
                    };
                    read.send(batch).await.map_err(|_| stage_stopped("evaluator"))?;
                }
                if !page.full {
                    break;
                }
                after = page.last_read;
            }
        }
        Ok(())
    }

    /// Evaluates a batch on every core.
    async fn evaluate_batch(
        &self,
        catalogue: &Arc<Catalogue>,
        catalogue_id: i64,
        batch: ReadBatch,
        today: NaiveDate,
    ) -> Result<Vec<HouseholdOutcome>, HouseholdError> {
        let context = Evaluation {
            catalogue: Arc::clone(catalogue),
            catalogue_id,
            translations: batch.translations,
            policy: self.policy,
            today,
        };
        let (households, previous) = (batch.households, batch.previous);
        tokio::task::spawn_blocking(move || {
            households
                .par_iter()
                .map(|stored| context.household(stored, previous.get(&stored.id.to_string())))
                .collect::<Result<Vec<_>, HouseholdError>>()
        })
        .await
        .map_err(|e| HouseholdError::Task(e.to_string()))?
    }
}

/// Writes batches as they come, each in one transaction, until the evaluator is done.
async fn write_batches(
    db: &DatabaseConnection,
    to_write: &tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Vec<HouseholdOutcome>>>,
    catalogue_id: i64,
    today: NaiveDate,
    written: &mut MatchReport,
) -> Result<(), HouseholdError> {
    loop {
        // The lock is held only while waiting for the next batch, not while writing it.
        let Some(outcomes) = to_write.lock().await.recv().await else {
            return Ok(());
        };
        let txn = kosodate_registry::db::begin_write(db).await?;
        exclude_consent_changes(&txn).await?;
        let outcomes = still_consenting(&txn, outcomes).await?;
        write::write_states(&txn, &outcomes, catalogue_id, today, written).await?;
        write::write_events(&txn, &outcomes, today, written).await?;
        txn.commit().await?;
    }
}

/// The advisory lock that orders matching writes against consent withdrawals and deletions on
/// PostgreSQL: writers share it, a withdrawal takes it alone. SQLite needs none, since its write
/// transactions (`BEGIN IMMEDIATE`) already run one at a time.
const CONSENT_CHANGE_LOCK: i64 = 0x6b6f_736f_6461_7465;

/// Taken by each matching write transaction before it re-reads consents.
pub(crate) async fn exclude_consent_changes(txn: &DatabaseTransaction) -> Result<(), HouseholdError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock_shared({CONSENT_CHANGE_LOCK})"
        ))
        .await?;
    }
    Ok(())
}

/// Taken by a consent withdrawal or a deletion: it waits for matching writes in flight, which
/// then commit before it and have their rows removed by it, and later writes see it committed.
pub(crate) async fn exclude_matching_writes(txn: &DatabaseTransaction) -> Result<(), HouseholdError> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CONSENT_CHANGE_LOCK})"))
            .await?;
    }
    Ok(())
}

/// The outcomes of households that still consent to matching, read inside the write
/// transaction: a household whose consent was withdrawn (or that was deleted) after the batch was
/// read gets neither a state nor an event.
async fn still_consenting(
    txn: &DatabaseTransaction,
    outcomes: Vec<HouseholdOutcome>,
) -> Result<Vec<HouseholdOutcome>, HouseholdError> {
    let ids = outcomes.iter().map(|outcome| outcome.id.to_string());
    let (Some(first), Some(last)) = (ids.clone().min(), ids.max()) else {
        return Ok(outcomes);
    };
    let consenting: HashSet<String> = consent::Entity::find()
        .select_only()
        .column(consent::Column::HouseholdId)
        .filter(id_range(consent::Column::HouseholdId, &first, &last))
        .filter(consent::Column::Purpose.eq(ConsentPurpose::Matching.id()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .into_tuple()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    Ok(outcomes
        .into_iter()
        .filter(|outcome| consenting.contains(&outcome.id.to_string()))
        .collect())
}

/// A batch of households as read, with their stored states and the snapshots these refer to.
struct ReadBatch {
    households: Vec<StoredHousehold>,
    previous: HashMap<String, household_match::Model>,
    translations: HashMap<i64, Arc<SnapshotMap>>,
}

fn stage_stopped(stage: &str) -> HouseholdError {
    HouseholdError::Task(format!("the {stage} stopped"))
}

/// The stored states of a batch in id order. `dense`: the batch is a contiguous page of
/// households, so that the states are read by an id range rather than an id list.
async fn stored_states(
    db: &impl ConnectionTrait,
    households: &[StoredHousehold],
    dense: bool,
) -> Result<HashMap<String, household_match::Model>, HouseholdError> {
    let ids: Vec<String> = households.iter().map(|stored| stored.id.to_string()).collect();
    let of_batch = match (dense, ids.first(), ids.last()) {
        (true, Some(first), Some(last)) => id_range(household_match::Column::HouseholdId, first, last),
        _ => household_match::Column::HouseholdId.is_in(ids),
    };
    let rows = household_match::Entity::find().filter(of_batch).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.household_id.clone(), row))
        .collect())
}

/// Adds a batch's outcomes to the run's counts.
fn tally(outcomes: &[HouseholdOutcome], report: &mut MatchReport, eligible_counts: &mut [u64]) {
    for outcome in outcomes {
        report.pairs_evaluated += outcome.evaluated;
        let Some(new) = &outcome.write else {
            report.unchanged += 1;
            continue;
        };
        report.households += 1;
        for position in &new.state.eligible {
            eligible_counts[*position as usize] += 1;
        }
    }
}

impl Run {
    fn report(&self) -> MatchReport {
        MatchReport {
            programs: self.catalogue.len() as u64,
            ..MatchReport::default()
        }
    }
}

/// Catalogue snapshots already read, by id: the planner reads the stored states of many
/// households, which nearly all name the same snapshot (thousands of program ids).
pub(crate) type Snapshots = HashMap<i64, Arc<Vec<(ProgramId, i32)>>>;

/// A household's stored state with program ids, read on `db` (a transaction, for the planner).
pub(crate) async fn stored_match(
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

/// How a stored snapshot relates to the current catalogue.
#[derive(Debug, Default)]
struct SnapshotMap {
    /// Old position → current position.
    to_new: Vec<Option<u32>>,
    /// Current position → the program's version in the old snapshot.
    old_versions: Vec<Option<i32>>,
}

impl SnapshotMap {
    fn new(old: &[(ProgramId, i32)], catalogue: &Catalogue) -> Self {
        let mut map = SnapshotMap {
            to_new: Vec::with_capacity(old.len()),
            old_versions: vec![None; catalogue.len()],
        };
        for (id, version) in old {
            let position = catalogue.position(*id);
            if let Some(position) = position {
                map.old_versions[position as usize] = Some(*version);
            }
            map.to_new.push(position);
        }
        map
    }
}

/// One batch's evaluation, free of the database so that it runs on the rayon pool.
struct Evaluation {
    catalogue: Arc<Catalogue>,
    catalogue_id: i64,
    translations: HashMap<i64, Arc<SnapshotMap>>,
    policy: MatchPolicy,
    today: NaiveDate,
}

/// The new state of one household, or `write: None` when the stored one is still right.
#[derive(Debug)]
struct HouseholdOutcome {
    id: HouseholdId,
    evaluated: u64,
    write: Option<NewState>,
    events: Vec<ChangeEvent>,
}

#[derive(Debug)]
struct NewState {
    fingerprint: i64,
    state: MatchState,
    next_check: Option<NaiveDate>,
}

impl Evaluation {
    fn household(
        &self,
        stored: &StoredHousehold,
        previous: Option<&household_match::Model>,
    ) -> Result<HouseholdOutcome, HouseholdError> {
        let (policy, today) = (self.policy, self.today);
        let municipality = stored.household.municipality;
        let applicable = || self.catalogue.applicable(municipality);
        let household_hash = state::household_hash(policy, &stored.household);
        let fingerprint = state::fingerprint(household_hash, self.catalogue.applicable_hash(municipality));
        let mut outcome = HouseholdOutcome {
            id: stored.id,
            evaluated: 0,
            write: None,
            events: Vec::new(),
        };
        if previous.is_some_and(|row| {
            row.fingerprint == fingerprint && row.next_check.is_none_or(|next| next > today)
        }) {
            return Ok(outcome);
        }
        let previous = previous.map(|row| self.previous(row)).transpose()?;
        let prepared = PreparedHousehold::new(&stored.household);
        let horizon = policy.horizon(today);
        let mut state = MatchState {
            household: household_hash,
            ..MatchState::default()
        };
        let mut next_check: Option<NaiveDate> = None;
        for (position, entry) in applicable() {
            outcome.evaluated += 1;
            let fresh = assess(entry, &prepared, today, horizon, policy, Detail::ForEvents);
            match fresh.eligibility {
                Eligibility::Eligible => state.eligible.push(position),
                Eligibility::Unknown => state.unknown.push(position),
                Eligibility::NotEligible => {}
            }
            let seen = previous.as_ref().map_or(Seen::Never, |previous| {
                previous.seen(position, entry, household_hash)
            });
            outcome.events.extend(pair_events(policy, today, seen, &fresh));
            next_check = [next_check, pair_next_check(policy, today, &fresh)]
                .into_iter()
                .flatten()
                .min();
        }
        state.eligible.sort_unstable();
        state.unknown.sort_unstable();
        if previous.is_none() && !state.is_empty() {
            outcome.events.push(ChangeEvent::first_match(today));
        }
        outcome.write = Some(NewState {
            fingerprint,
            state,
            next_check,
        });
        Ok(outcome)
    }

    fn previous<'a>(&'a self, row: &household_match::Model) -> Result<Previous<'a>, HouseholdError> {
        let state = MatchState::decode(&row.state)?;
        if row.catalogue_id == self.catalogue_id {
            return Ok(Previous {
                state,
                evaluated_on: row.evaluated_on,
                snapshot: None,
            });
        }
        let snapshot = self.translations.get(&row.catalogue_id).ok_or_else(|| {
            HouseholdError::Corrupt(format!("match catalogue {} not loaded", row.catalogue_id))
        })?;
        Ok(Previous {
            state: state.translate(&snapshot.to_new),
            evaluated_on: row.evaluated_on,
            snapshot: Some(snapshot),
        })
    }
}

/// A household's stored state, in the current catalogue's positions.
struct Previous<'a> {
    state: MatchState,
    evaluated_on: NaiveDate,
    /// `None` when stored against the current catalogue.
    snapshot: Option<&'a SnapshotMap>,
}

impl Previous<'_> {
    fn seen(&self, position: u32, entry: &CatalogueEntry, household_hash: u64) -> Seen {
        let old_version = match self.snapshot {
            None => Some(entry.version),
            Some(snapshot) => snapshot.old_versions.get(position as usize).copied().flatten(),
        };
        let program = match old_version {
            None => ProgramSeen::New,
            Some(old) if old < entry.material_version => ProgramSeen::MateriallyChanged,
            Some(_) => ProgramSeen::Known,
        };
        let unchanged = old_version == Some(entry.version) && self.state.household == household_hash;
        Seen::Before {
            was_eligible: self.state.is_eligible(position),
            program,
            unchanged_since: unchanged.then_some(self.evaluated_on),
        }
    }
}

impl MatchPolicy {
    fn horizon(self, today: NaiveDate) -> NaiveDate {
        today + chrono::Days::new(u64::from(self.horizon_days))
    }
}

/// How much of an answer to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Everything a parent sees, including the facts that would settle an unknown answer.
    Full,
    /// What events and check dates need: a batch run never shows missing facts.
    ForEvents,
}

/// The fast path decides most pairs from one evaluation; only pairs that matter within the
/// horizon get their windows computed.
fn assess(
    entry: &CatalogueEntry,
    prepared: &PreparedHousehold<'_>,
    today: NaiveDate,
    horizon: NaiveDate,
    policy: MatchPolicy,
    detail: Detail,
) -> ProgramMatch {
    let quick = entry.rule.evaluate(prepared, today);
    let nothing_ahead = quick.truth == Truth::False && quick.next_change.is_none_or(|next| next >= horizon);
    if nothing_ahead {
        return ProgramMatch {
            program_id: entry.id,
            program_version: entry.version,
            eligibility: Eligibility::NotEligible,
            detail: ResultDetail::default(),
            next_change: quick.next_change,
        };
    }
    let assessment = entry.rule.assess(prepared, today, policy.horizon_days);
    let missing = match (assessment.eligibility, detail) {
        (Eligibility::Unknown, Detail::Full) => entry.rule.rule.missing_facts(prepared, today),
        _ => Vec::new(),
    };
    ProgramMatch {
        program_id: entry.id,
        program_version: entry.version,
        eligibility: assessment.eligibility,
        detail: ResultDetail {
            windows: assessment.windows,
            periods: assessment.application_periods,
            missing,
        },
        next_change: assessment.next_change,
    }
}

/// The id of the stored snapshot of `catalogue`'s program list, stored now if it is new.
async fn snapshot_id(db: &impl ConnectionTrait, catalogue: &Catalogue) -> Result<i64, HouseholdError> {
    let find = || {
        match_catalogue::Entity::find()
            .select_only()
            .column(match_catalogue::Column::Id)
            .filter(match_catalogue::Column::Digest.eq(catalogue.digest()))
            .into_tuple::<i64>()
            .one(db)
    };
    if let Some(id) = find().await? {
        return Ok(id);
    }
    let programs: Vec<(String, i32)> = catalogue
        .entries()
        .iter()
        .map(|entry| (entry.id.to_string(), entry.version))
        .collect();
    let row = match_catalogue::ActiveModel {
        digest: Set(catalogue.digest().to_owned()),
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
async fn snapshot_programs(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Vec<(ProgramId, i32)>, HouseholdError> {
    let corrupt = |what: String| HouseholdError::Corrupt(format!("match catalogue {id}: {what}"));
    let row = match_catalogue::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| corrupt("missing".to_owned()))?;
    let programs: Vec<(String, i32)> =
        serde_json::from_value(row.programs).map_err(|e| corrupt(e.to_string()))?;
    programs
        .iter()
        .map(|(id, version)| {
            Ok((
                ProgramId::parse(id).map_err(|e| corrupt(e.to_string()))?,
                *version,
            ))
        })
        .collect()
}

/// Snapshots no stored state refers to any more, once they are old enough.
async fn prune_snapshots(db: &impl ConnectionTrait, current: i64) -> Result<(), HouseholdError> {
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
async fn remove_orphans(db: &impl ConnectionTrait) -> Result<(), HouseholdError> {
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
async fn refresh_statistics(db: &impl ConnectionTrait) -> Result<(), HouseholdError> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE households, consents, household_matches, match_events")
            .await?;
    }
    Ok(())
}

/// Removes everything the matcher derived from the households `households` selects (their
/// ids): consent withdrawn, or the households deleted. The derived tables have no foreign keys
/// to cascade from, so every deletion goes through here.
pub(crate) async fn forget_households(
    txn: &DatabaseTransaction,
    households: SelectStatement,
) -> Result<(), HouseholdError> {
    household_match::Entity::delete_many()
        .filter(household_match::Column::HouseholdId.in_subquery(households.clone()))
        .exec(txn)
        .await?;
    match_event::Entity::delete_many()
        .filter(match_event::Column::HouseholdId.in_subquery(households))
        .exec(txn)
        .await?;
    Ok(())
}
