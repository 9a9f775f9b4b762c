//! Planning: each change event the matcher recorded becomes one notice per channel the household
//! opted into and consented to, unless it dismissed the program. Each event is planned once
//! (`match_events.planned_at`, and the outbox's unique (event, channel) key), in one transaction
//! with the consent check, so that a withdrawal either comes first and is seen, or comes after and
//! cancels what was planned. An event with something to say but no deliverable channel yet (the
//! parent consented to matching before verifying an address) waits, and is planned again when the
//! household's consents or channels change, unless its deadline has passed by then.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use kosodate_database::begin_write;
use kosodate_domain::{MunicipalityCode, ProgramId, japan};
use kosodate_households::match_store::{self, RecordedEvent, Snapshots};
use kosodate_households::{Dismissed, HouseholdId, HouseholdRecord, Households};
use kosodate_matcher::EligibilityDocument;
use kosodate_notifier::outbox::{self, NoticeDraft};
use kosodate_notifier::{Address, NoticeContent, ProgramNotice};
use kosodate_registry::{Program, ProgramOwner, Registry, RegistryError, Visibility};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::content::{PlannedProgram, drafts, program_notice};
use crate::error::PlannerError;

/// Events planned per transaction.
const PLAN_BATCH: u64 = 500;

/// Plans notices from change events. Cheap to clone.
#[derive(Debug, Clone)]
pub struct NoticePlanner {
    households: Households,
    registry: Registry,
}

/// What a batch of events needs to know about its households.
struct Audience {
    records: HashMap<String, HouseholdRecord>,
    /// Usable channels per household: opted in, verified, not switched off, consented to.
    channels: HashMap<String, Vec<(Uuid, Address)>>,
    dismissed: Dismissed,
}

impl NoticePlanner {
    pub fn new(households: Households, registry: Registry) -> Self {
        Self { households, registry }
    }

    /// Plans every event not planned yet; returns how many events it looked at.
    pub async fn plan_pending(&self) -> Result<usize, PlannerError> {
        let mut total = 0;
        loop {
            let planned = self.plan_batch(Utc::now()).await?;
            total += planned;
            if planned < PLAN_BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// Plans one batch of events in one transaction; returns how many events it took.
    pub async fn plan_batch(&self, now: DateTime<Utc>) -> Result<usize, PlannerError> {
        let txn = begin_write(self.households.connection()).await?;
        match_store::exclude_consent_changes(&txn).await?;
        let events = match_store::unplanned_events(&txn, PLAN_BATCH).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let audience = Audience::load(&txn, &events).await?;
        let mut programs = ProgramCache::default();
        let mut drafts = Vec::new();
        let (mut planned, mut waiting) = (Vec::new(), Vec::new());
        for event in &events {
            match self
                .plan_event(&txn, event, &audience, &mut programs, now)
                .await?
            {
                Planned::Drafts(event_drafts) => {
                    drafts.extend(event_drafts);
                    planned.push(event.clone());
                }
                Planned::Nothing => planned.push(event.clone()),
                Planned::NoChannel => waiting.push(event.clone()),
            }
        }
        match_store::mark_planned(&txn, &planned, now).await?;
        match_store::park_waiting(&txn, &waiting, now).await?;
        outbox::enqueue(&txn, drafts, now).await?;
        txn.commit().await?;
        metrics::counter!("kosodate_events_waiting_for_channel_total").increment(waiting.len() as u64);
        Ok(events.len())
    }

    async fn plan_event(
        &self,
        db: &impl ConnectionTrait,
        recorded: &RecordedEvent,
        audience: &Audience,
        programs: &mut ProgramCache,
        now: DateTime<Utc>,
    ) -> Result<Planned, PlannerError> {
        let event = &recorded.event;
        let today = japan::date_of(now);
        // A deadline that passed while the event waited for a channel is no news any more.
        if !event.kind.is_sent() || event.closes_on.is_some_and(|closes| closes < today) {
            return Ok(Planned::Nothing);
        }
        let household = &recorded.household_id;
        let Some(record) = audience.records.get(household) else {
            return Ok(Planned::Nothing);
        };
        let program_ids = match event.program_id {
            Some(id) if audience.dismissed.contains(&(household.clone(), id.to_string())) => {
                return Ok(Planned::Nothing);
            }
            Some(id) => vec![id],
            None => first_results(db, record.id, &audience.dismissed, &mut programs.snapshots).await?,
        };
        let notices = self
            .program_notices(program_ids, recorded, record, programs)
            .await?;
        if notices.is_empty() {
            return Ok(Planned::Nothing);
        }
        let channels = audience
            .channels
            .get(household)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if channels.is_empty() {
            return Ok(Planned::NoChannel);
        }
        let content = NoticeContent {
            kind: event.kind,
            programs: notices,
            disabled_channel: None,
            question: None,
            events: Vec::new(),
        };
        let program_id = event.program_id.map(|id| id.to_string());
        Ok(Planned::Drafts(drafts(
            record,
            channels,
            Some(recorded.id),
            program_id.as_deref(),
            &content,
        )))
    }
}

impl NoticePlanner {
    /// What the notice says about each program that is still published.
    async fn program_notices(
        &self,
        program_ids: Vec<ProgramId>,
        recorded: &RecordedEvent,
        record: &HouseholdRecord,
        programs: &mut ProgramCache,
    ) -> Result<Vec<ProgramNotice>, PlannerError> {
        let window = (recorded.event.opens_on, recorded.event.closes_on);
        let mut notices = Vec::new();
        for id in program_ids {
            if let Some(program) = programs.get(&self.registry, id).await? {
                let owner = programs.owner_name(&self.registry, &program.program).await?;
                notices.push(program_notice(
                    &program,
                    record,
                    recorded.occurs_on,
                    window,
                    owner,
                ));
            }
        }
        Ok(notices)
    }
}

/// What became of one event.
enum Planned {
    /// Notices, one per deliverable channel.
    Drafts(Vec<NoticeDraft>),
    /// Nothing to send: not a kind that is sent, a dismissed or gone program, a passed deadline.
    Nothing,
    /// Something to send, but no channel to send it through yet: it waits.
    NoChannel,
}

/// The programs of a household's first results it has not dismissed, eligible ones only.
async fn first_results(
    db: &impl ConnectionTrait,
    household: HouseholdId,
    dismissed: &Dismissed,
    snapshots: &mut Snapshots,
) -> Result<Vec<ProgramId>, PlannerError> {
    let Some(stored) = match_store::stored_match(db, household, snapshots).await? else {
        return Ok(Vec::new());
    };
    let household = household.to_string();
    Ok(stored
        .eligible
        .into_iter()
        .filter(|id| !dismissed.contains(&(household.clone(), id.to_string())))
        .collect())
}

impl Audience {
    async fn load(db: &impl ConnectionTrait, events: &[RecordedEvent]) -> Result<Self, PlannerError> {
        let ids: Vec<String> = events
            .iter()
            .map(|recorded| recorded.household_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut records = HashMap::new();
        for id in &ids {
            if let Some(record) = kosodate_households::record_on(db, id).await? {
                records.insert(id.clone(), record);
            }
        }
        Ok(Self {
            records,
            channels: kosodate_households::deliverable_channels(db, &ids).await?,
            dismissed: kosodate_households::dismissed(db, &ids).await?,
        })
    }
}

/// Programs (with parsed rules), organisation names and catalogue snapshots, read once per batch:
/// a batch of first results names the same programs hundreds of times.
#[derive(Default)]
struct ProgramCache {
    programs: HashMap<ProgramId, Option<Arc<PlannedProgram>>>,
    owners: HashMap<MunicipalityCode, String>,
    snapshots: Snapshots,
}

impl ProgramCache {
    async fn get(
        &mut self,
        registry: &Registry,
        id: ProgramId,
    ) -> Result<Option<Arc<PlannedProgram>>, PlannerError> {
        if let Some(program) = self.programs.get(&id) {
            return Ok(program.clone());
        }
        let program = match registry.program(id, Visibility::Public).await {
            Ok(program) => Some(Arc::new(PlannedProgram {
                rule: EligibilityDocument::parse(&program.content.eligibility)
                    .ok()
                    .and_then(|document| document.into_rule()),
                program,
            })),
            Err(RegistryError::ProgramNotFound(_)) => None,
            Err(error) => return Err(error.into()),
        };
        self.programs.insert(id, program.clone());
        Ok(program)
    }

    async fn owner_name(&mut self, registry: &Registry, program: &Program) -> Result<String, PlannerError> {
        let ProgramOwner::Local(code) = program.content.owner else {
            return Ok("国".to_owned());
        };
        if let Some(name) = self.owners.get(&code) {
            return Ok(name.clone());
        }
        let name = registry.municipality(code).await?.name;
        self.owners.insert(code, name.clone());
        Ok(name)
    }
}
