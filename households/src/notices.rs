//! Who is told what, and through which channel: the planner turns the matcher's change events
//! into notices in the notifier's outbox, for the channels a household opted into and consented
//! to, leaving out programs it applied for or is not interested in. Each event is planned once
//! (`match_events.planned_at`, and the outbox's unique (event, channel) key), in one transaction
//! with the consent check, so that a withdrawal either comes first and is seen, or comes after and
//! cancels what was planned. Also here: the actions parents take from a notice, and what happens
//! when a channel's address turns out to be gone.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::{EmailAddress, LineUserId, MunicipalityCode, ProgramId};
use kosodate_matcher::{EligibilityDocument, Held, PreparedHousehold, Reason, Rule};
use kosodate_notifier::outbox::{self, NoticeDraft, Scope};
use kosodate_notifier::{
    Address, ChannelKind, DeliveryHooks, GoneAddress, NoticeContent, NoticeKind, NoticeStatus, ProgramNotice,
    PushSubscription, QuietHours,
};
use kosodate_registry::{Program, ProgramOwner, Registry, Visibility};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entity::{consent, contact_channel, household, match_event, program_dismissal};
use crate::error::HouseholdError;
use crate::matching::EventKind;
use crate::parents::HouseholdRecord;
use crate::store::{ConsentPurpose, HouseholdId, Households};

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
    dismissed: HashSet<(String, String)>,
}

impl NoticePlanner {
    pub fn new(households: Households, registry: Registry) -> Self {
        Self { households, registry }
    }

    /// Plans every event not planned yet; returns how many events it looked at.
    pub async fn plan_pending(&self) -> Result<usize, HouseholdError> {
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
    pub async fn plan_batch(&self, now: DateTime<Utc>) -> Result<usize, HouseholdError> {
        let txn = kosodate_registry::db::begin_write(self.households.connection()).await?;
        crate::matching::exclude_consent_changes(&txn).await?;
        let events = unplanned_events(&txn).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let audience = Audience::load(&txn, &events).await?;
        let mut programs = ProgramCache::default();
        let mut drafts = Vec::new();
        for event in &events {
            drafts.extend(self.drafts_for(&txn, event, &audience, &mut programs).await?);
        }
        let ids: Vec<String> = events.iter().map(|event| event.id.clone()).collect();
        match_event::Entity::update_many()
            .col_expr(match_event::Column::PlannedAt, Expr::value(now))
            .filter(match_event::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
        outbox::enqueue(&txn, drafts, now).await?;
        txn.commit().await?;
        Ok(events.len())
    }

    async fn drafts_for(
        &self,
        txn: &DatabaseTransaction,
        event: &match_event::Model,
        audience: &Audience,
        programs: &mut ProgramCache,
    ) -> Result<Vec<NoticeDraft>, HouseholdError> {
        let Some(kind) = notice_kind(&event.kind) else {
            return Ok(Vec::new());
        };
        let (Some(record), Some(channels)) = (
            audience.records.get(&event.household_id),
            audience.channels.get(&event.household_id),
        ) else {
            return Ok(Vec::new());
        };
        let program_ids = match &event.program_id {
            Some(id)
                if audience
                    .dismissed
                    .contains(&(event.household_id.clone(), id.clone())) =>
            {
                return Ok(Vec::new());
            }
            Some(id) => vec![parse_program(id)?],
            None => first_results(txn, record.id, &audience.dismissed, &mut programs.snapshots).await?,
        };
        let mut notices = Vec::new();
        for id in program_ids {
            if let Some(program) = programs.get(&self.registry, id).await? {
                let owner = programs.owner_name(&self.registry, &program.program).await?;
                notices.push(program_notice(&program, record, event, owner));
            }
        }
        if notices.is_empty() {
            return Ok(Vec::new());
        }
        let content = NoticeContent {
            kind,
            programs: notices,
            disabled_channel: None,
        };
        let event_id = Uuid::parse_str(&event.id).map_err(|_| corrupt("event id"))?;
        Ok(drafts(
            record,
            channels,
            Some(event_id),
            event.program_id.as_deref(),
            &content,
        ))
    }
}

fn corrupt(what: &str) -> HouseholdError {
    HouseholdError::Corrupt(format!("notice planning: {what}"))
}

fn parse_program(id: &str) -> Result<ProgramId, HouseholdError> {
    ProgramId::parse(id).map_err(|_| corrupt("program id"))
}

fn notice_kind(event_kind: &str) -> Option<NoticeKind> {
    Some(match EventKind::parse(event_kind)? {
        EventKind::FirstMatch => NoticeKind::FirstMatch,
        EventKind::NewlyEligible => NoticeKind::NewlyEligible,
        EventKind::NewProgram => NoticeKind::NewProgram,
        EventKind::ProgramChanged => NoticeKind::ProgramChanged,
        EventKind::WindowOpensSoon => NoticeKind::WindowOpensSoon,
        EventKind::DeadlineNear => NoticeKind::DeadlineNear,
        EventKind::DeadlineImminent => NoticeKind::DeadlineImminent,
        // Losing eligibility is shown on the parent's page, not pushed.
        EventKind::NoLongerEligible => return None,
    })
}

/// One draft per usable channel of the household.
fn drafts(
    record: &HouseholdRecord,
    channels: &[(Uuid, Address)],
    event_id: Option<Uuid>,
    program_id: Option<&str>,
    content: &NoticeContent,
) -> Vec<NoticeDraft> {
    let preferences = &record.preferences;
    let quiet = QuietHours::parse(&preferences.quiet_from, &preferences.quiet_until);
    channels
        .iter()
        .map(|(channel_id, address)| NoticeDraft {
            household_id: record.id.as_uuid(),
            channel_id: *channel_id,
            event_id,
            program_id: program_id.and_then(|id| Uuid::parse_str(id).ok()),
            address: address.clone(),
            content: content.clone(),
            quiet,
            digest: preferences.daily_digest && content.kind != NoticeKind::ChannelDisabled,
        })
        .collect()
}

async fn unplanned_events(txn: &DatabaseTransaction) -> Result<Vec<match_event::Model>, HouseholdError> {
    let mut query = match_event::Entity::find()
        .filter(match_event::Column::PlannedAt.is_null())
        .order_by_asc(match_event::Column::Id)
        .limit(PLAN_BATCH);
    // Several planners share the work without waiting on each other's rows.
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    Ok(query.all(txn).await?)
}

/// The programs of a household's first results it has not dismissed, eligible ones only.
async fn first_results(
    txn: &DatabaseTransaction,
    household: HouseholdId,
    dismissed: &HashSet<(String, String)>,
    snapshots: &mut crate::matching::Snapshots,
) -> Result<Vec<ProgramId>, HouseholdError> {
    let Some(stored) = crate::matching::stored_match(txn, household, snapshots).await? else {
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
    async fn load(txn: &DatabaseTransaction, events: &[match_event::Model]) -> Result<Self, HouseholdError> {
        let ids: Vec<String> = events
            .iter()
            .map(|event| event.household_id.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut records = HashMap::new();
        for row in household::Entity::find()
            .filter(household::Column::Id.is_in(ids.clone()))
            .all(txn)
            .await?
        {
            records.insert(row.id.clone(), crate::parents::record(&row)?);
        }
        let dismissed = program_dismissal::Entity::find()
            .filter(program_dismissal::Column::HouseholdId.is_in(ids.clone()))
            .all(txn)
            .await?
            .into_iter()
            .map(|row| (row.household_id, row.program_id))
            .collect();
        Ok(Self {
            records,
            channels: usable_channels(txn, &ids).await?,
            dismissed,
        })
    }
}

fn purpose_of(kind: ChannelKind) -> ConsentPurpose {
    match kind {
        ChannelKind::Email => ConsentPurpose::NoticeEmail,
        ChannelKind::Line => ConsentPurpose::NoticeLine,
        ChannelKind::WebPush => ConsentPurpose::NoticeWebPush,
    }
}

/// The channels notices may use, per household: opted in, verified (email), not switched off,
/// and with an active consent to notices through that kind of channel.
async fn usable_channels(
    db: &impl ConnectionTrait,
    households: &[String],
) -> Result<HashMap<String, Vec<(Uuid, Address)>>, HouseholdError> {
    let consents: HashSet<(String, String)> = consent::Entity::find()
        .filter(consent::Column::HouseholdId.is_in(households.to_vec()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.household_id, row.purpose))
        .collect();
    let rows = contact_channel::Entity::find()
        .filter(contact_channel::Column::HouseholdId.is_in(households.to_vec()))
        .filter(contact_channel::Column::OptedIn.eq(true))
        .filter(contact_channel::Column::DisabledReason.is_null())
        .order_by_asc(contact_channel::Column::Id)
        .all(db)
        .await?;
    let mut usable: HashMap<String, Vec<(Uuid, Address)>> = HashMap::new();
    for row in rows {
        let Some(kind) = ChannelKind::parse(&row.kind) else {
            continue;
        };
        let consented = consents.contains(&(row.household_id.clone(), purpose_of(kind).id().to_owned()));
        let verified = kind != ChannelKind::Email || row.verified_at.is_some();
        if !consented || !verified {
            continue;
        }
        let id = Uuid::parse_str(&row.id).map_err(|_| corrupt("channel id"))?;
        let address = channel_address(kind, &row)?;
        usable.entry(row.household_id).or_default().push((id, address));
    }
    Ok(usable)
}

fn channel_address(kind: ChannelKind, row: &contact_channel::Model) -> Result<Address, HouseholdError> {
    Ok(match kind {
        ChannelKind::Email => {
            Address::Email(EmailAddress::parse(&row.address).map_err(|_| corrupt("email"))?)
        }
        ChannelKind::Line => {
            Address::Line(LineUserId::parse(&row.address).map_err(|_| corrupt("line user"))?)
        }
        ChannelKind::WebPush => {
            let keys: crate::channels::PushKeys = row
                .keys
                .clone()
                .and_then(|keys| serde_json::from_value(keys).ok())
                .ok_or_else(|| corrupt("push keys"))?;
            Address::WebPush(PushSubscription {
                endpoint: url::Url::parse(&row.address).map_err(|_| corrupt("push endpoint"))?,
                p256dh: keys.p256dh,
                auth: keys.auth,
            })
        }
    })
}

/// A program as notices need it, with its rule parsed once.
struct PlannedProgram {
    program: Program,
    rule: Option<Rule>,
}

/// Programs (with parsed rules), organisation names and catalogue snapshots, read once per batch:
/// a batch of first results names the same programs hundreds of times.
#[derive(Default)]
struct ProgramCache {
    programs: HashMap<ProgramId, Option<Arc<PlannedProgram>>>,
    owners: HashMap<MunicipalityCode, String>,
    snapshots: crate::matching::Snapshots,
}

impl ProgramCache {
    async fn get(
        &mut self,
        registry: &Registry,
        id: ProgramId,
    ) -> Result<Option<Arc<PlannedProgram>>, HouseholdError> {
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
            Err(kosodate_registry::RegistryError::ProgramNotFound(_)) => None,
            Err(error) => return Err(error.into()),
        };
        self.programs.insert(id, program.clone());
        Ok(program)
    }

    async fn owner_name(&mut self, registry: &Registry, program: &Program) -> Result<String, HouseholdError> {
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

fn program_notice(
    planned: &PlannedProgram,
    record: &HouseholdRecord,
    event: &match_event::Model,
    owner: String,
) -> ProgramNotice {
    let program = &planned.program;
    let content = &program.content;
    let benefit = match (&content.benefit.description, content.benefit.amount_yen) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(yen)) => Some(format!("{}円", group_thousands(yen))),
        (None, None) => None,
    };
    let contact = [
        &content.contact.section,
        &content.contact.phone,
        &content.contact.email,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect::<Vec<_>>();
    ProgramNotice {
        program_id: program.id.to_string(),
        name: content.name.clone(),
        owner,
        summary: content.summary.clone(),
        children: children_concerned(planned.rule.as_ref(), record, event.occurs_on),
        benefit,
        opens_on: event.opens_on,
        closes_on: event.closes_on,
        how_to_apply: content
            .application_methods
            .iter()
            .map(|method| {
                let label = method.kind.label_ja().to_owned();
                match &method.url {
                    Some(url) => format!("{label}（{url}）"),
                    None => label,
                }
            })
            .collect(),
        url: content
            .source_url
            .as_deref()
            .and_then(|url| url::Url::parse(url).ok()),
        contact: (!contact.is_empty()).then(|| contact.join(" ")),
    }
}

fn group_thousands(yen: u64) -> String {
    let digits = yen.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// The children the program's conditions held for, as the parent named them ("第2子" unnamed).
fn children_concerned(rule: Option<&Rule>, record: &HouseholdRecord, on: NaiveDate) -> Vec<String> {
    let Some(rule) = rule else {
        return Vec::new();
    };
    let prepared = PreparedHousehold::new(&record.household);
    let reason = rule.explain(&prepared, on).reason;
    let mut children = Vec::new();
    collect_children(&reason, &mut children);
    children.sort_unstable();
    children.dedup();
    children
        .into_iter()
        .map(|child| {
            let index = usize::from(child).saturating_sub(1);
            match record.nicknames.get(index).cloned().flatten() {
                Some(name) => format!("{name}さん"),
                None => format!("第{child}子"),
            }
        })
        .collect()
}

fn collect_children(reason: &Reason, children: &mut Vec<u8>) {
    if reason.held != Held::Yes {
        return;
    }
    if let Some(child) = reason.child {
        children.push(child);
    }
    for detail in &reason.details {
        collect_children(detail, children);
    }
}

/// Why notices about a program stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dismissal {
    Applied,
    NotInterested,
}

impl Dismissal {
    pub fn id(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::NotInterested => "not_interested",
        }
    }
}

impl Households {
    /// "Applied already" or "not interested": no more notices about the program; pending ones
    /// are suppressed in the same transaction.
    pub async fn dismiss_program(
        &self,
        household: HouseholdId,
        program: &str,
        reason: Dismissal,
    ) -> Result<u64, HouseholdError> {
        let txn = kosodate_registry::db::begin_write(self.connection()).await?;
        let row = program_dismissal::ActiveModel {
            household_id: Set(household.to_string()),
            program_id: Set(program.to_owned()),
            reason: Set(reason.id().to_owned()),
            created_at: Set(Utc::now()),
        };
        program_dismissal::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    program_dismissal::Column::HouseholdId,
                    program_dismissal::Column::ProgramId,
                ])
                .update_column(program_dismissal::Column::Reason)
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let stopped = outbox::stop_pending(
            &txn,
            Scope::Program(household.as_uuid(), program),
            NoticeStatus::Suppressed,
        )
        .await?;
        txn.commit().await?;
        Ok(stopped)
    }

    /// Switches a channel off because its address is gone, cancels what waits for it, and tells
    /// the household through its other channels. Returns false when it was off already.
    pub async fn disable_channel(&self, gone: &GoneAddress) -> Result<bool, HouseholdError> {
        let txn = kosodate_registry::db::begin_write(self.connection()).await?;
        let reason: String = gone.reason.chars().take(64).collect();
        let switched = contact_channel::Entity::update_many()
            .col_expr(contact_channel::Column::OptedIn, Expr::value(false))
            .col_expr(contact_channel::Column::DisabledReason, Expr::value(reason))
            .filter(contact_channel::Column::Id.eq(gone.channel_id.to_string()))
            .filter(contact_channel::Column::DisabledReason.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if switched == 0 {
            return Ok(false);
        }
        outbox::stop_pending(&txn, Scope::Channel(gone.channel_id), NoticeStatus::Cancelled).await?;
        let household_id = gone.household_id.to_string();
        if let Some(row) = household::Entity::find_by_id(household_id.clone())
            .one(&txn)
            .await?
        {
            let record = crate::parents::record(&row)?;
            let channels = usable_channels(&txn, std::slice::from_ref(&household_id))
                .await?
                .remove(&household_id)
                .unwrap_or_default();
            let content = NoticeContent {
                kind: NoticeKind::ChannelDisabled,
                programs: Vec::new(),
                disabled_channel: Some(channel_label(gone.channel_kind).to_owned()),
            };
            outbox::enqueue(&txn, drafts(&record, &channels, None, None, &content), Utc::now()).await?;
        }
        txn.commit().await?;
        Ok(true)
    }
}

fn channel_label(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Email => "ご登録のメールアドレス",
        ChannelKind::Line => "LINE",
        ChannelKind::WebPush => "ご登録のブラウザ（プッシュ通知）",
    }
}

/// The notifier's hooks, answered by this crate: a gone address switches its channel off.
#[derive(Debug, Clone)]
pub struct ChannelHealth {
    households: Households,
}

impl ChannelHealth {
    pub fn new(households: Households) -> Self {
        Self { households }
    }
}

#[async_trait::async_trait]
impl DeliveryHooks for ChannelHealth {
    async fn address_gone(&self, gone: &GoneAddress) {
        match self.households.disable_channel(gone).await {
            Ok(true) => {
                tracing::info!(channel = %gone.channel_id, kind = gone.channel_kind.id(), "channel switched off: address gone")
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(channel = %gone.channel_id, error = %error, "cannot switch a gone channel off")
            }
        }
    }
}
