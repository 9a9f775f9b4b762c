//! Batch and incremental matching: evaluates consenting households against the programs that
//! apply to them, stores what matters within the horizon, and records change events for the
//! notifier in the same transaction. Four entry points share one batch step:
//! a full run; a program published or changed (only the households in its area); a household
//! changed (only itself); and the daily tick (only the pairs whose stored check date has come,
//! plus households whose not-yet-stored programs may start to matter).

mod catalogue;
mod decide;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use kosodate_domain::{MunicipalityCode, ProgramId};
use kosodate_matcher::{Area, Eligibility, PreparedHousehold, Truth};
use kosodate_registry::{ProgramOwner, Registry, Visibility};
use rayon::prelude::*;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Deserialize;
use uuid::Uuid;

pub use catalogue::{Catalogue, CatalogueEntry, application, entry};
pub use decide::{ChangeEvent, Decision, EventKind, Fresh, MatchPolicy, PairResult, ResultDetail, decide};

use crate::entity::{household, match_event, match_result};
use crate::error::HouseholdError;
use crate::store::{HouseholdId, Households, StoredHousehold, consenting_page};

/// Households per batch: one read of their stored results, one transaction of writes.
const BATCH: u64 = 2_000;
/// Rows per multi-row statement, under both databases' bound-parameter limits.
const WRITE_CHUNK: usize = 2_000;

/// What happened in a run, for the CLI and the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchReport {
    pub households: u64,
    pub programs: u64,
    pub pairs_evaluated: u64,
    pub results_written: u64,
    pub results_removed: u64,
    pub events: BTreeMap<EventKind, u64>,
    /// The first events recorded, for a person to look at.
    pub sample: Vec<(HouseholdId, ProgramId, ChangeEvent)>,
}

const SAMPLE_SIZE: usize = 20;

/// Which programs to evaluate for a household.
#[derive(Debug, Clone)]
enum Selection {
    /// Every applicable program; stored pairs not among them are removed.
    All,
    /// Only these programs; other stored pairs are left alone.
    Only(HashSet<ProgramId>),
}

#[derive(Debug, Clone)]
pub struct MatchRunner {
    households: Households,
    registry: Registry,
    policy: MatchPolicy,
}

impl MatchRunner {
    pub fn new(households: Households, registry: Registry, policy: MatchPolicy) -> Self {
        Self {
            households,
            registry,
            policy,
        }
    }

    /// The stored results of a household, in program id order.
    pub async fn results(&self, household: HouseholdId) -> Result<Vec<PairResult>, HouseholdError> {
        let mut results = load_results(self.households.connection(), &[household.to_string()]).await?;
        let mut results = results.remove(&household).unwrap_or_default();
        results.sort_by_key(|pair| pair.program_id);
        Ok(results)
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
                Ok(ChangeEvent {
                    program_id: ProgramId::parse(&row.program_id).map_err(|_| corrupt("program id"))?,
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
        let catalogue = Arc::new(Catalogue::load(&self.registry).await?);
        let db = self.households.connection();
        // Results of programs no longer published, and of households that withdrew consent, go.
        let published: Vec<String> = catalogue.ids().map(|id| id.to_string()).collect();
        let removed = match_result::Entity::delete_many()
            .filter(match_result::Column::ProgramId.is_not_in(published))
            .exec(db)
            .await?
            .rows_affected;
        let mut report = MatchReport {
            programs: catalogue.len() as u64,
            results_removed: removed,
            ..MatchReport::default()
        };
        self.for_each_page(None, None, select_all, &catalogue, today, &mut report)
            .await?;
        refresh_statistics(db).await?;
        Ok(report)
    }

    /// A program was published, changed or archived: re-evaluate only the households in its area.
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
        let catalogue =
            Arc::new(Catalogue::from_entries(catalogue::entry(&program).filter(|_| {
                program.status == kosodate_registry::ProgramStatus::Published
            })));
        let mut report = MatchReport {
            programs: catalogue.len() as u64,
            ..MatchReport::default()
        };
        let municipalities = match area {
            Area::Municipality(code) => Some(vec![code]),
            Area::National | Area::Prefecture(_) => None,
        };
        let only: HashSet<ProgramId> = [program_id].into();
        self.for_each_page(
            municipalities.as_deref(),
            None,
            |batch| {
                let batch: Vec<_> = batch
                    .into_iter()
                    .filter(|stored| area.includes(stored.household.municipality))
                    .collect();
                let selections = batch.iter().map(|_| Selection::Only(only.clone())).collect();
                (batch, selections)
            },
            &catalogue,
            today,
            &mut report,
        )
        .await?;
        Ok(report)
    }

    /// A household changed: re-evaluate it alone.
    pub async fn run_household(
        &self,
        id: HouseholdId,
        today: NaiveDate,
    ) -> Result<MatchReport, HouseholdError> {
        let catalogue = Arc::new(Catalogue::load(&self.registry).await?);
        let mut report = MatchReport {
            programs: catalogue.len() as u64,
            ..MatchReport::default()
        };
        let ids = [id.to_string()];
        self.for_each_page(None, Some(&ids), select_all, &catalogue, today, &mut report)
            .await?;
        Ok(report)
    }

    /// The daily tick: only pairs whose check date has come, and households due for a rescan.
    pub async fn run_tick(&self, today: NaiveDate) -> Result<MatchReport, HouseholdError> {
        let db = self.households.connection();
        let due: Vec<(String, String)> = match_result::Entity::find()
            .select_only()
            .column(match_result::Column::HouseholdId)
            .column(match_result::Column::ProgramId)
            .filter(match_result::Column::NextCheck.lte(today))
            .into_tuple()
            .all(db)
            .await?;
        let rescan: Vec<String> = household::Entity::find()
            .select_only()
            .column(household::Column::Id)
            .filter(household::Column::RescanOn.lte(today))
            .into_tuple()
            .all(db)
            .await?;
        let mut selections: HashMap<String, Selection> = HashMap::new();
        for (household_id, program_id) in due {
            let Ok(program_id) = ProgramId::parse(&program_id) else {
                continue;
            };
            if let Selection::Only(programs) = selections
                .entry(household_id)
                .or_insert_with(|| Selection::Only(HashSet::new()))
            {
                programs.insert(program_id);
            }
        }
        for household_id in rescan {
            selections.insert(household_id, Selection::All);
        }
        let catalogue = Arc::new(Catalogue::load(&self.registry).await?);
        let mut report = MatchReport {
            programs: catalogue.len() as u64,
            ..MatchReport::default()
        };
        let mut ids: Vec<String> = selections.keys().cloned().collect();
        ids.sort();
        for chunk in ids.chunks(BATCH as usize) {
            self.for_each_page(
                None,
                Some(chunk),
                |batch| {
                    let chosen = batch
                        .iter()
                        .map(|stored| selections[&stored.id.to_string()].clone())
                        .collect();
                    (batch, chosen)
                },
                &catalogue,
                today,
                &mut report,
            )
            .await?;
        }
        Ok(report)
    }

    async fn for_each_page(
        &self,
        municipalities: Option<&[MunicipalityCode]>,
        ids: Option<&[String]>,
        mut select: impl FnMut(Vec<StoredHousehold>) -> (Vec<StoredHousehold>, Vec<Selection>),
        catalogue: &Arc<Catalogue>,
        today: NaiveDate,
        report: &mut MatchReport,
    ) -> Result<(), HouseholdError> {
        let db = self.households.connection();
        let mut after: Option<String> = None;
        loop {
            let page = consenting_page(db, after.as_deref(), BATCH, municipalities, ids).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.to_string());
            let full_page = page.len() as u64 == BATCH;
            let (batch, selections) = select(page);
            if !batch.is_empty() {
                self.process_batch(catalogue, batch, selections, today, report)
                    .await?;
            }
            if !full_page {
                break;
            }
        }
        Ok(())
    }

    async fn process_batch(
        &self,
        catalogue: &Arc<Catalogue>,
        batch: Vec<StoredHousehold>,
        selections: Vec<Selection>,
        today: NaiveDate,
        report: &mut MatchReport,
    ) -> Result<(), HouseholdError> {
        let db = self.households.connection();
        let ids: Vec<String> = batch.iter().map(|stored| stored.id.to_string()).collect();
        let previous = load_results(db, &ids).await?;
        let catalogue = Arc::clone(catalogue);
        let policy = self.policy;
        let outcomes = tokio::task::spawn_blocking(move || {
            batch
                .par_iter()
                .zip(selections.par_iter())
                .map(|(stored, selection)| {
                    let previous = previous.get(&stored.id).map(Vec::as_slice).unwrap_or_default();
                    evaluate_household(&catalogue, policy, today, stored, selection, previous)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| HouseholdError::Task(e.to_string()))?;
        let txn = db.begin().await?;
        write_outcomes(&txn, &outcomes, today, report).await?;
        txn.commit().await?;
        report.households += outcomes.len() as u64;
        report.pairs_evaluated += outcomes.iter().map(|outcome| outcome.evaluated).sum::<u64>();
        Ok(())
    }
}

/// Every applicable program for every household of the page.
fn select_all(batch: Vec<StoredHousehold>) -> (Vec<StoredHousehold>, Vec<Selection>) {
    let selections = batch.iter().map(|_| Selection::All).collect();
    (batch, selections)
}

/// The changes for one household, computed without the database.
#[derive(Debug)]
struct HouseholdOutcome {
    id: HouseholdId,
    evaluated: u64,
    upserts: Vec<PairResult>,
    removals: Vec<ProgramId>,
    events: Vec<ChangeEvent>,
    /// `Some(new value)` when the household's rescan date must be written.
    rescan_on: Option<Option<NaiveDate>>,
}

fn evaluate_household(
    catalogue: &Catalogue,
    policy: MatchPolicy,
    today: NaiveDate,
    stored: &StoredHousehold,
    selection: &Selection,
    previous: &[PairResult],
) -> HouseholdOutcome {
    let prepared = PreparedHousehold::new(&stored.household);
    let previous: HashMap<ProgramId, &PairResult> =
        previous.iter().map(|pair| (pair.program_id, pair)).collect();
    let mut outcome = HouseholdOutcome {
        id: stored.id,
        evaluated: 0,
        upserts: Vec::new(),
        removals: Vec::new(),
        events: Vec::new(),
        rescan_on: None,
    };
    let mut kept: HashSet<ProgramId> = HashSet::new();
    let mut rescan_on: Option<NaiveDate> = None;
    let horizon = today + chrono::Days::new(u64::from(policy.horizon_days));
    for entry in catalogue.applicable(stored.household.municipality) {
        if let Selection::Only(programs) = selection
            && !programs.contains(&entry.id)
        {
            continue;
        }
        outcome.evaluated += 1;
        let old = previous.get(&entry.id).copied();
        let fresh = assess(entry, &prepared, today, horizon, policy);
        let decision = decide(policy, today, old, fresh);
        outcome.events.extend(decision.events);
        rescan_on = [rescan_on, decision.rescan_on].into_iter().flatten().min();
        match decision.store {
            Some(pair) => {
                kept.insert(pair.program_id);
                if old != Some(&pair) {
                    outcome.upserts.push(pair);
                }
            }
            None if old.is_some() => outcome.removals.push(entry.id),
            None => {}
        }
    }
    // Stored pairs in scope that were not kept: the program stopped applying or was withdrawn.
    let in_scope = |id: &ProgramId| match selection {
        Selection::All => true,
        Selection::Only(programs) => programs.contains(id),
    };
    let stale: Vec<ProgramId> = previous
        .keys()
        .filter(|id| in_scope(id) && !kept.contains(id) && !outcome.removals.contains(id))
        .copied()
        .collect();
    outcome.removals.extend(stale);
    match selection {
        Selection::All => outcome.rescan_on = Some(rescan_on),
        // Other programs' reasons for the stored date still hold: only bring it forward.
        Selection::Only(_) if rescan_on.is_some_and(|date| stored.rescan_on.is_none_or(|old| date < old)) => {
            outcome.rescan_on = Some(rescan_on);
        }
        Selection::Only(_) => {}
    }
    outcome
}

/// The fast path decides most pairs from one evaluation; only pairs that matter within the
/// horizon get their windows computed.
fn assess(
    entry: &CatalogueEntry,
    prepared: &PreparedHousehold<'_>,
    today: NaiveDate,
    horizon: NaiveDate,
    policy: MatchPolicy,
) -> Fresh {
    let quick = entry.rule.evaluate(prepared, today);
    let nothing_ahead = quick.truth == Truth::False && quick.next_change.is_none_or(|next| next >= horizon);
    if nothing_ahead {
        return Fresh {
            program_id: entry.id,
            program_version: entry.version,
            eligibility: Eligibility::NotEligible,
            detail: ResultDetail::default(),
            next_change: quick.next_change,
        };
    }
    let assessment = entry.rule.assess(prepared, today, policy.horizon_days);
    let missing = match assessment.eligibility {
        Eligibility::Unknown => entry.rule.rule.missing_facts(prepared, today),
        _ => Vec::new(),
    };
    Fresh {
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

async fn load_results(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<HouseholdId, Vec<PairResult>>, HouseholdError> {
    let rows = match_result::Entity::find()
        .filter(match_result::Column::HouseholdId.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let mut results: HashMap<HouseholdId, Vec<PairResult>> = HashMap::new();
    for row in rows {
        let corrupt = |what: String| {
            HouseholdError::Corrupt(format!(
                "match result {}/{}: {what}",
                row.household_id, row.program_id
            ))
        };
        let household_id = HouseholdId::parse(&row.household_id).map_err(|e| corrupt(e.to_string()))?;
        let program_id = ProgramId::parse(&row.program_id).map_err(|e| corrupt(e.to_string()))?;
        let eligibility =
            Eligibility::parse(&row.eligibility).ok_or_else(|| corrupt(row.eligibility.clone()))?;
        let detail: ResultDetail =
            ResultDetail::deserialize(&row.detail).map_err(|e| corrupt(e.to_string()))?;
        results.entry(household_id).or_default().push(PairResult {
            program_id,
            program_version: row.program_version,
            eligibility,
            detail,
            next_check: row.next_check,
        });
    }
    Ok(results)
}

async fn write_outcomes(
    txn: &DatabaseTransaction,
    outcomes: &[HouseholdOutcome],
    today: NaiveDate,
    report: &mut MatchReport,
) -> Result<(), HouseholdError> {
    for outcome in outcomes.iter().filter(|outcome| !outcome.removals.is_empty()) {
        let removed = match_result::Entity::delete_many()
            .filter(match_result::Column::HouseholdId.eq(outcome.id.to_string()))
            .filter(match_result::Column::ProgramId.is_in(outcome.removals.iter().map(ToString::to_string)))
            .exec(txn)
            .await?;
        report.results_removed += removed.rows_affected;
    }
    let upserts: Vec<match_result::ActiveModel> = outcomes
        .iter()
        .flat_map(|outcome| {
            outcome
                .upserts
                .iter()
                .map(move |pair| result_row(outcome.id, pair, today))
        })
        .collect();
    report.results_written += upserts.len() as u64;
    let mut upserts = upserts.into_iter().peekable();
    while upserts.peek().is_some() {
        let chunk: Vec<_> = upserts.by_ref().take(WRITE_CHUNK).collect();
        match_result::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([match_result::Column::HouseholdId, match_result::Column::ProgramId])
                    .update_columns([
                        match_result::Column::ProgramVersion,
                        match_result::Column::Eligibility,
                        match_result::Column::Detail,
                        match_result::Column::NextCheck,
                        match_result::Column::EvaluatedOn,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    write_events(txn, outcomes, today, report).await?;
    write_rescan_dates(txn, outcomes).await
}

async fn write_events(
    txn: &DatabaseTransaction,
    outcomes: &[HouseholdOutcome],
    today: NaiveDate,
    report: &mut MatchReport,
) -> Result<(), HouseholdError> {
    let now = Utc::now();
    let mut events: Vec<(HouseholdId, &ChangeEvent)> = outcomes
        .iter()
        .flat_map(|outcome| outcome.events.iter().map(move |event| (outcome.id, event)))
        .collect();
    // Grouped by kind so that the count of rows inserted (repeats are skipped) is per kind.
    events.sort_by_key(|(_, event)| event.kind);
    for group in events.chunk_by(|(_, a), (_, b)| a.kind == b.kind) {
        for chunk in group.chunks(WRITE_CHUNK) {
            let inserted = insert_events(txn, chunk, today, now).await?;
            *report.events.entry(chunk[0].1.kind).or_default() += inserted;
            if inserted == chunk.len() as u64 {
                let room = SAMPLE_SIZE.saturating_sub(report.sample.len());
                report.sample.extend(
                    chunk
                        .iter()
                        .take(room)
                        .map(|(household, event)| (*household, event.program_id, (*event).clone())),
                );
            }
        }
    }
    Ok(())
}

async fn insert_events(
    txn: &DatabaseTransaction,
    events: &[(HouseholdId, &ChangeEvent)],
    today: NaiveDate,
    now: chrono::DateTime<Utc>,
) -> Result<u64, HouseholdError> {
    let rows = events
        .iter()
        .map(|(household_id, event)| match_event::ActiveModel {
            id: Set(Uuid::now_v7().to_string()),
            household_id: Set(household_id.to_string()),
            program_id: Set(event.program_id.to_string()),
            kind: Set(event.kind.id().to_owned()),
            anchor_on: Set(event.anchor_on),
            opens_on: Set(event.opens_on),
            closes_on: Set(event.closes_on),
            occurs_on: Set(today),
            created_at: Set(now),
        });
    // The unique (household, program, kind, anchor) key makes a repeated decision a no-op.
    let inserted = match_event::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                match_event::Column::HouseholdId,
                match_event::Column::ProgramId,
                match_event::Column::Kind,
                match_event::Column::AnchorOn,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(inserted)
}

/// Rescan dates, grouped by value so that a batch costs a few statements, not one per household.
async fn write_rescan_dates(
    txn: &DatabaseTransaction,
    outcomes: &[HouseholdOutcome],
) -> Result<(), HouseholdError> {
    let mut by_date: BTreeMap<Option<NaiveDate>, Vec<String>> = BTreeMap::new();
    for outcome in outcomes {
        if let Some(rescan_on) = outcome.rescan_on {
            by_date.entry(rescan_on).or_default().push(outcome.id.to_string());
        }
    }
    for (rescan_on, ids) in by_date {
        household::Entity::update_many()
            .col_expr(household::Column::RescanOn, Expr::value(rescan_on))
            .filter(household::Column::Id.is_in(ids))
            .exec(txn)
            .await?;
    }
    Ok(())
}

fn result_row(household_id: HouseholdId, pair: &PairResult, today: NaiveDate) -> match_result::ActiveModel {
    match_result::ActiveModel {
        household_id: Set(household_id.to_string()),
        program_id: Set(pair.program_id.to_string()),
        program_version: Set(pair.program_version),
        eligibility: Set(pair.eligibility.id().to_owned()),
        detail: Set(serde_json::to_value(&pair.detail).unwrap_or_default()),
        next_check: Set(pair.next_check),
        evaluated_on: Set(today),
    }
}

/// After a full run has rewritten millions of rows, PostgreSQL's planner statistics are stale
/// until autovacuum catches up, and it may then scan whole tables for the tick's indexed lookups.
async fn refresh_statistics(db: &impl ConnectionTrait) -> Result<(), HouseholdError> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE households, consents, match_results, match_events")
            .await?;
    }
    Ok(())
}

/// Removes everything the matcher derived from a household (consent withdrawn or data deleted).
pub(crate) async fn forget_household(
    txn: &DatabaseTransaction,
    id: HouseholdId,
) -> Result<(), HouseholdError> {
    match_result::Entity::delete_many()
        .filter(match_result::Column::HouseholdId.eq(id.to_string()))
        .exec(txn)
        .await?;
    Ok(())
}
