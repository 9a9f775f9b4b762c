//! Batch and incremental matching: evaluates consenting households against the programs that
//! apply to them, stores one compact state per household, and records change events for the
//! planner in the same transaction. Four entry points share one batch step: a full run; a
//! program published or changed (only the households in its area); a household changed (only
//! itself); and the tick (only households whose stored check date has come, and consenting
//! households never matched). Every entry point skips a household whose fingerprint and check
//! date say its stored state is still right, so repeating a run costs reads only.
//!
//! A full run is shared: it is cut into partitions (`partitions`) that any number of processes
//! claim one at a time, each written and marked done in one transaction, so that more processes
//! finish sooner and a process that dies loses only the partitions it held, until their leases
//! run out and another process takes them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use kosodate_database::begin_write;
use kosodate_domain::{MunicipalityCode, NoticeKind, ProgramId};
use kosodate_households::match_store::{self, ChangeEvent, StateWrite, StoredState};
use kosodate_households::population::{PageScope, consenting_page, never_matched};
use kosodate_households::{HouseholdId, Households, StoredHousehold};
use kosodate_matcher::Area;
use kosodate_registry::{ProgramOwner, Registry, Visibility};
use rayon::prelude::*;
use sea_orm::DatabaseConnection;

use crate::catalogue::Catalogue;
use crate::decide::MatchPolicy;
use crate::error::MatchingError;
use crate::evaluate::{Evaluation, HouseholdOutcome, SnapshotMap};
use crate::partitions::{self, Partition, PartitionCounts, RunTotals, SharedRun};

/// Households per batch: one read of their stored states, one transaction of writes.
const BATCH: u64 = 2_000;
const SAMPLE_SIZE: usize = 20;
/// How often a process that found no partition free looks again while others still hold some:
/// a dead process's partitions are free once their leases run out.
const CLAIM_POLL: Duration = Duration::from_millis(250);

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
    pub events: BTreeMap<NoticeKind, u64>,
    /// For each program, how many of the households evaluated were found eligible.
    pub eligible: BTreeMap<ProgramId, u64>,
    /// The first events recorded, for a person to look at.
    pub sample: Vec<(HouseholdId, ChangeEvent)>,
    /// Partitions of a shared full run this process wrote.
    pub partitions: u64,
    /// A shared full run's figures over every process, once it finished.
    pub run: Option<(SharedRun, RunTotals)>,
}

impl MatchReport {
    fn add_written(&mut self, written: MatchReport) {
        self.states_written += written.states_written;
        self.partitions += written.partitions;
        for (kind, count) in written.events {
            *self.events.entry(kind).or_default() += count;
        }
        let room = SAMPLE_SIZE.saturating_sub(self.sample.len());
        self.sample.extend(written.sample.into_iter().take(room));
    }
}

/// Runs the matcher over stored households. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MatchRunner {
    pub(crate) households: Households,
    pub(crate) registry: Registry,
    pub(crate) policy: MatchPolicy,
    pub(crate) sharing: Sharing,
}

/// How a full run is shared between processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharing {
    /// Households per partition, when a process creates a run.
    pub partition_size: u64,
    /// How long a claimed partition stays with its process: after that, another one may take it.
    pub lease: Duration,
}

impl Default for Sharing {
    fn default() -> Self {
        Self {
            partition_size: BATCH,
            lease: Duration::from_secs(60),
        }
    }
}

/// Where a run's households come from: a scope read in one process, or the partitions of a
/// shared run claimed one by one.
enum Source<'a> {
    Scope(Scope),
    /// A run shared by processes, and who this process is in its leases.
    Shared(SharedRun, &'a str),
}

/// Which consenting households a run looks at.
enum Scope {
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

/// A batch of households as read, with their stored states and the snapshots these refer to.
struct ReadBatch {
    households: Vec<StoredHousehold>,
    previous: HashMap<String, StoredState>,
    translations: HashMap<i64, Arc<SnapshotMap>>,
    /// The partition of a shared run the batch is, to be marked done with its writes.
    partition: Option<Partition>,
}

/// A batch as evaluated, on its way to a writer.
struct Evaluated {
    outcomes: Vec<HouseholdOutcome>,
    partition: Option<Partition>,
}

impl MatchRunner {
    /// How far ahead matching looks and when reminders fall due.
    pub fn policy(&self) -> MatchPolicy {
        self.policy
    }

    pub fn new(households: Households, registry: Registry, policy: MatchPolicy) -> Self {
        Self {
            households,
            registry,
            policy,
            sharing: Sharing::default(),
        }
    }

    /// The same runner, sharing full runs with other processes as `sharing` says.
    pub fn with_sharing(mut self, sharing: Sharing) -> Self {
        self.sharing = sharing;
        self
    }

    /// The households it matches, where their stored results and events are read.
    pub fn households(&self) -> &Households {
        &self.households
    }

    fn db(&self) -> &DatabaseConnection {
        self.households.connection()
    }

    /// Every consenting household against every program that applies to it: joins the open
    /// run of `today`, or creates one, and works on it with whichever other processes join,
    /// until every partition is done.
    pub async fn run_full(&self, today: NaiveDate) -> Result<MatchReport, MatchingError> {
        let shared = partitions::open_or_create(self.db(), today, self.sharing.partition_size).await?;
        self.work_on(shared).await
    }

    /// Helps with the open full run of `today`, if there is one (a worker process's part);
    /// `None` when there is none.
    pub async fn join_open_run(&self, today: NaiveDate) -> Result<Option<MatchReport>, MatchingError> {
        match partitions::open_run(self.db(), Some(today)).await? {
            Some(shared) => self.work_on(shared).await.map(Some),
            None => Ok(None),
        }
    }

    async fn work_on(&self, shared: SharedRun) -> Result<MatchReport, MatchingError> {
        let mut run = self.start().await?;
        let mut report = run.report();
        // The pid says which process holds a lease; the nonce keeps two machines' apart.
        let owner = format!("pid {} {:016x}", std::process::id(), rand::random::<u64>());
        let source = Source::Shared(shared, &owner);
        let work = self.run_source(&mut run, source, shared.run_on, &mut report);
        // Renewing stops when the work ends, however it ends: a failed run's partitions are
        // free again once their leases run out.
        tokio::select! {
            worked = work => worked?,
            () = self.keep_leases(shared, &owner) => {}
        }
        if partitions::finish(self.db(), shared).await? {
            match_store::remove_orphans(self.db()).await?;
            match_store::refresh_statistics(self.db()).await?;
            tracing::info!(run = shared.id, "match run finished");
        }
        report.run = Some((shared, partitions::totals(self.db(), shared.id).await?));
        Ok(report)
    }

    /// A program was published, changed or archived: only the households in its area can be
    /// affected, and of those only the ones whose fingerprint changed are evaluated.
    pub async fn run_program(
        &self,
        program_id: ProgramId,
        today: NaiveDate,
    ) -> Result<MatchReport, MatchingError> {
        let program = self.registry.program(program_id, Visibility::Staff).await?;
        let area = match program.content.owner {
            ProgramOwner::National => Area::National,
            ProgramOwner::Local(code) => Area::of_owner(Some(code)),
        };
        let municipalities = match area {
            Area::Municipality(code) => Some(vec![code]),
            Area::National | Area::Prefecture(_) => None,
        };
        // Staff save a program many times in a row, and each save re-matches its area: where
        // nobody lives, reading the catalogue (every published program) would be for nothing.
        if !self.anyone_lives_in(municipalities.as_deref()).await? {
            return Ok(MatchReport::default());
        }
        let mut run = self.start().await?;
        let mut report = run.report();
        let scope = Scope::Area { area, municipalities };
        self.run_source(&mut run, Source::Scope(scope), today, &mut report)
            .await?;
        Ok(report)
    }

    /// Whether any household, consenting or not, lives in `municipalities` (anywhere: `None`).
    async fn anyone_lives_in(
        &self,
        municipalities: Option<&[MunicipalityCode]>,
    ) -> Result<bool, MatchingError> {
        let scope = PageScope {
            municipalities,
            ..PageScope::default()
        };
        let page = consenting_page(self.db(), None, 1, scope).await?;
        Ok(page.last_read.is_some())
    }

    /// A household changed: re-evaluate it alone.
    pub async fn run_household(
        &self,
        id: HouseholdId,
        today: NaiveDate,
    ) -> Result<MatchReport, MatchingError> {
        let mut run = self.start().await?;
        let mut report = run.report();
        let scope = Scope::Ids(vec![id.to_string()]);
        self.run_source(&mut run, Source::Scope(scope), today, &mut report)
            .await?;
        Ok(report)
    }

    /// The tick: households whose check date has come, and consenting households that were
    /// never matched (say, registered while no server was running).
    pub async fn run_tick(&self, today: NaiveDate) -> Result<MatchReport, MatchingError> {
        let mut ids = match_store::due(self.db(), today).await?;
        ids.extend(never_matched(self.db()).await?);
        ids.sort();
        ids.dedup();
        let mut run = self.start().await?;
        let mut report = run.report();
        if !ids.is_empty() {
            self.run_source(&mut run, Source::Scope(Scope::Ids(ids)), today, &mut report)
                .await?;
        }
        Ok(report)
    }

    async fn start(&self) -> Result<Run, MatchingError> {
        let catalogue = Catalogue::load(&self.registry).await?;
        let programs = catalogue.entries().iter().map(|entry| (entry.id, entry.version));
        let catalogue_id = match_store::snapshot_id(self.db(), catalogue.digest(), programs).await?;
        Ok(Run {
            eligible_counts: vec![0; catalogue.len()],
            catalogue: Arc::new(catalogue),
            catalogue_id,
            translations: HashMap::new(),
        })
    }

    /// Reads, evaluates and writes the households of `source`, batch by batch, in three stages
    /// joined by channels of depth 1: reading the next batch and writing the previous one
    /// overlap evaluating the current one. Reads and writes are one connection's work each, the
    /// evaluation every core's.
    async fn run_source(
        &self,
        run: &mut Run,
        source: Source<'_>,
        today: NaiveDate,
        report: &mut MatchReport,
    ) -> Result<(), MatchingError> {
        let db = self.db();
        let Run {
            catalogue,
            catalogue_id,
            translations,
            eligible_counts,
        } = run;
        let (catalogue, catalogue_id) = (Arc::clone(catalogue), *catalogue_id);
        let (read, mut to_evaluate) = tokio::sync::mpsc::channel::<ReadBatch>(1);
        let (evaluated, to_write) = tokio::sync::mpsc::channel::<Evaluated>(1);
        let reader = async {
            match &source {
                Source::Scope(scope) => {
                    self.read_scope(scope, &catalogue, catalogue_id, translations, read)
                        .await
                }
                Source::Shared(shared, owner) => {
                    self.read_partitions(*shared, owner, &catalogue, catalogue_id, translations, read)
                        .await
                }
            }
        };
        let evaluator = async {
            let evaluated = evaluated;
            while let Some(mut batch) = to_evaluate.recv().await {
                let partition = batch.partition.take();
                let outcomes = self
                    .evaluate_batch(&catalogue, catalogue_id, batch, today)
                    .await?;
                tally(&outcomes, report, eligible_counts);
                evaluated
                    .send(Evaluated { outcomes, partition })
                    .await
                    .map_err(|_| MatchingError::StageStopped("writer"))?;
            }
            Ok::<_, MatchingError>(())
        };
        // On PostgreSQL two writers on two connections: batches are disjoint, and the server
        // inserts on both cores. SQLite takes one writer at a time, and a second one would only
        // wait for its turn.
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
        report.add_written(first_written);
        report.add_written(second_written);
        match_store::prune_snapshots(db, catalogue_id).await?;
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
    ) -> Result<(), MatchingError> {
        let db = self.db();
        let (municipalities, ids) = match scope {
            Scope::Area { municipalities, .. } => (municipalities.as_deref(), None),
            Scope::Ids(ids) => (None, Some(ids.as_slice())),
        };
        for chunk in ids.map_or(vec![None], |ids| ids.chunks(BATCH as usize).map(Some).collect()) {
            let mut after: Option<String> = None;
            loop {
                let page_scope = PageScope {
                    municipalities,
                    ids: chunk,
                    until: None,
                };
                let page = consenting_page(db, after.as_deref(), BATCH, page_scope).await?;
                let households: Vec<StoredHousehold> = match scope {
                    Scope::Area { area, .. } => page
                        .households
                        .into_iter()
                        .filter(|stored| area.includes(stored.household.municipality))
                        .collect(),
                    Scope::Ids(_) => page.households,
                };
                if !households.is_empty() {
                    let batch = self
                        .read_batch(households, chunk.is_none(), catalogue, catalogue_id, translations)
                        .await?;
                    send(&read, batch).await?;
                }
                if !page.full {
                    break;
                }
                after = page.last_read;
            }
        }
        Ok(())
    }

    /// Extends this process's leases every third of a lease, for as long as it is polled.
    async fn keep_leases(&self, shared: SharedRun, owner: &str) {
        let lease_ms = i64::try_from(self.sharing.lease.as_millis()).unwrap_or(i64::MAX);
        let every = (self.sharing.lease / 3).max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(every).await;
            if let Err(error) = partitions::renew(self.db(), shared, owner, lease_ms).await {
                tracing::warn!(run = shared.id, error = %kosodate_domain::error_chain(&error), "match leases could not be renewed");
            }
        }
    }

    /// Claims the partitions of a shared run one by one and reads each whole, until none is
    /// left that is not done. While other processes hold the last ones, it waits: should one of
    /// them die, its partitions are claimed here once their leases run out.
    async fn read_partitions(
        &self,
        shared: SharedRun,
        owner: &str,
        catalogue: &Catalogue,
        catalogue_id: i64,
        translations: &mut HashMap<i64, Arc<SnapshotMap>>,
        read: tokio::sync::mpsc::Sender<ReadBatch>,
    ) -> Result<(), MatchingError> {
        let db = self.db();
        let lease_ms = i64::try_from(self.sharing.lease.as_millis()).unwrap_or(i64::MAX);
        loop {
            let Some(partition) = partitions::claim(db, shared, owner, lease_ms).await? else {
                if partitions::not_done(db, shared).await? == 0 {
                    return Ok(());
                }
                tokio::time::sleep(CLAIM_POLL).await;
                continue;
            };
            let households = self.read_partition(&partition).await?;
            let mut batch = self
                .read_batch(households, true, catalogue, catalogue_id, translations)
                .await?;
            // Sent even when empty: the partition is marked done by its writer.
            batch.partition = Some(partition);
            send(&read, batch).await?;
        }
    }

    /// The consenting households of one partition, read page by page: more than one page only
    /// when households were added to its range since the run was cut.
    async fn read_partition(&self, partition: &Partition) -> Result<Vec<StoredHousehold>, MatchingError> {
        let mut households = Vec::new();
        let mut after = partition.after.clone();
        loop {
            let scope = PageScope {
                until: partition.until.as_deref(),
                ..PageScope::default()
            };
            let page = consenting_page(self.db(), after.as_deref(), BATCH, scope).await?;
            households.extend(page.households);
            if !page.full {
                return Ok(households);
            }
            after = page.last_read;
        }
    }

    /// A batch with the stored states of its households, and the snapshots these refer to.
    /// `dense`: the households are a range in id order.
    async fn read_batch(
        &self,
        households: Vec<StoredHousehold>,
        dense: bool,
        catalogue: &Catalogue,
        catalogue_id: i64,
        translations: &mut HashMap<i64, Arc<SnapshotMap>>,
    ) -> Result<ReadBatch, MatchingError> {
        let db = self.db();
        let ids: Vec<HouseholdId> = households.iter().map(|stored| stored.id).collect();
        let previous = match ids.is_empty() {
            true => HashMap::new(),
            false => match_store::stored_states(db, &ids, dense).await?,
        };
        for row in previous.values() {
            if row.catalogue_id != catalogue_id && !translations.contains_key(&row.catalogue_id) {
                let programs = match_store::snapshot_programs(db, row.catalogue_id).await?;
                let map = SnapshotMap::new(&programs, catalogue);
                translations.insert(row.catalogue_id, Arc::new(map));
            }
        }
        Ok(ReadBatch {
            households,
            previous,
            translations: translations.clone(),
            partition: None,
        })
    }

    /// Evaluates a batch on every core.
    async fn evaluate_batch(
        &self,
        catalogue: &Arc<Catalogue>,
        catalogue_id: i64,
        batch: ReadBatch,
        today: NaiveDate,
    ) -> Result<Vec<HouseholdOutcome>, MatchingError> {
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
                .collect::<Result<Vec<_>, MatchingError>>()
        })
        .await?
    }
}

async fn send(read: &tokio::sync::mpsc::Sender<ReadBatch>, batch: ReadBatch) -> Result<(), MatchingError> {
    read.send(batch)
        .await
        .map_err(|_| MatchingError::StageStopped("evaluator"))
}

/// Writes batches as they come, each in one transaction, until the evaluator is done. A
/// partition's batch is marked done in its transaction; one another process wrote meanwhile
/// (this one's lease ran out) is dropped unwritten.
async fn write_batches(
    db: &DatabaseConnection,
    to_write: &tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Evaluated>>,
    catalogue_id: i64,
    today: NaiveDate,
    written: &mut MatchReport,
) -> Result<(), MatchingError> {
    loop {
        // The lock is held only while waiting for the next batch, not while writing it.
        let Some(Evaluated { outcomes, partition }) = to_write.lock().await.recv().await else {
            return Ok(());
        };
        let txn = begin_write(db).await?;
        if let Some(partition) = &partition
            && !partitions::mark_done(&txn, partition).await?
        {
            tracing::info!(
                partition = partition.number,
                "partition written by another process"
            );
            continue;
        }
        let mut counts = PartitionCounts::default();
        for outcome in &outcomes {
            match outcome.write {
                Some(_) => counts.households += 1,
                None => counts.unchanged += 1,
            }
        }
        let recorded = write_outcomes(&txn, outcomes, catalogue_id, today, &mut counts).await?;
        if let Some(partition) = &partition {
            partitions::record_counts(&txn, partition, counts).await?;
            written.partitions += 1;
        }
        txn.commit().await?;
        written.states_written += counts.states_written;
        for (kind, count) in recorded.per_kind {
            *written.events.entry(kind).or_default() += count;
        }
        let room = SAMPLE_SIZE.saturating_sub(written.sample.len());
        written.sample.extend(recorded.sample.into_iter().take(room));
    }
}

/// Writes the states and events of the households still consenting, in the caller's
/// transaction.
async fn write_outcomes(
    txn: &impl sea_orm::ConnectionTrait,
    outcomes: Vec<HouseholdOutcome>,
    catalogue_id: i64,
    today: NaiveDate,
    counts: &mut PartitionCounts,
) -> Result<match_store::EventsWritten, MatchingError> {
    match_store::exclude_consent_changes(txn).await?;
    let ids: Vec<HouseholdId> = outcomes.iter().map(|outcome| outcome.household).collect();
    let consenting = match_store::still_consenting(txn, &ids).await?;
    let outcomes: Vec<HouseholdOutcome> = outcomes
        .into_iter()
        .filter(|outcome| consenting.contains(&outcome.household.to_string()))
        .collect();
    let states: Vec<StateWrite> = outcomes
        .iter()
        .filter_map(|outcome| outcome.write.clone())
        .collect();
    match_store::write_states(txn, &states, catalogue_id, today).await?;
    let events = outcomes
        .iter()
        .flat_map(|outcome| outcome.events.iter().map(|event| (outcome.household, event)))
        .collect();
    let recorded = match_store::write_events(txn, events, today, SAMPLE_SIZE).await?;
    counts.states_written = states.len() as u64;
    counts.events = recorded.per_kind.values().sum();
    Ok(recorded)
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
