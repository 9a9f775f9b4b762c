//! The weekly events notice: 「今週、お子さんの月齢に合ったイベント」. Once a week (from Monday, in
//! Japan), each household that asked for it (`Preferences::weekly_events`, off by default) and
//! consents to matching hears of the published events of its region and the prefecture that
//! suit one of its children on one of the week's remaining days, through its usable channels,
//! with its quiet hours and daily digest.
//!
//! Each (week, municipality) is claimed in `weekly_event_notice_runs` by the transaction that
//! queues its notices, so a week is planned once however many processes ask; the notice's
//! idempotency key is derived from the household and the week, so the outbox's unique
//! (event, channel) key makes a repeat harmless all the same. A municipality's week is claimed
//! when it first has events (so an event published on Wednesday is told that day, for the days
//! left); a household changed or consenting later in the week hears the next week.
//!
//! The run keeps the ids of the events the week has told (`told_event_ids`). An event published
//! after the week was planned, with days left in the week, is told in an addendum
//! (`WeeklyEventsAdded`, 「…イベントが追加されました」) from the next day on: at most one a day
//! for a municipality, only with the events not told before, claimed by replacing the told ids
//! the process read, so two processes never both send it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use kosodate_database::begin_write;
use kosodate_domain::japan::format_date_with_weekday;
use kosodate_domain::{MunicipalityCode, Vocabulary, japan};
use kosodate_households::match_store;
use kosodate_households::population::{PageScope, consenting_page};
use kosodate_households::{HouseholdRecord, Households};
use kosodate_notifier::outbox;
use kosodate_notifier::{EventNotice, NoticeContent, NoticeKind};
use kosodate_places::{Area, ChildDate, EventDays, Places, SignUpMethod, SuitedEvent, Venue, suited_events};
use kosodate_registry::page::PageRequest;
use kosodate_registry::{Municipality, Registry, Visibility};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::content::{child_name, drafts};
use crate::error::PlannerError;

/// Households read per query while a municipality's week is planned.
const HOUSEHOLD_PAGE: u64 = 1_000;
const RUNS_TABLE: &str = "weekly_event_notice_runs";

/// Plans the weekly events notices. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WeeklyEventNotices {
    households: Households,
    registry: Registry,
    places: Places,
    /// Where an event's page is: `{events_base}{id}`.
    events_base: url::Url,
}

/// One municipality's week to plan: who lives there, and what is on.
struct MunicipalityWeek<'a> {
    code: MunicipalityCode,
    week: NaiveDate,
    /// The events to tell: the week's, or for an addendum those not told yet.
    events: &'a [EventDays],
    venues: &'a HashMap<Uuid, String>,
    /// What the run holds once this plan is queued.
    told: ToldEvents,
    /// The week's first notice, or an addendum over what the run held when it was read.
    claim: Claim,
}

/// The events a municipality's week has told, in the run row: sorted, so that the same set is
/// the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ToldEvents(BTreeSet<Uuid>);

impl ToldEvents {
    fn stored(&self) -> String {
        serde_json::Value::from(self.0.iter().map(Uuid::to_string).collect::<Vec<_>>()).to_string()
    }

    fn read(stored: &str) -> Result<Self, DbErr> {
        serde_json::from_str(stored)
            .map(Self)
            .map_err(|error| DbErr::Custom(format!("weekly event notice run: told event ids: {error}")))
    }
}

/// What a municipality's week held when the planner read it.
struct WeekRun {
    planned_at: DateTime<Utc>,
    /// `None` for a week planned before the told events were kept: it has no addenda.
    told: Option<ToldEvents>,
}

enum Claim {
    First,
    /// An addendum, claimed only if the run still holds these told events.
    Addendum {
        told_before: ToldEvents,
    },
}

impl Claim {
    fn kind(&self) -> NoticeKind {
        match self {
            Self::First => NoticeKind::WeeklyEvents,
            Self::Addendum { .. } => NoticeKind::WeeklyEventsAdded,
        }
    }
}

impl WeeklyEventNotices {
    /// `events_base` ends with a slash: the event's id is appended to it.
    pub fn new(households: Households, registry: Registry, places: Places, events_base: url::Url) -> Self {
        debug_assert!(
            events_base.path().ends_with('/'),
            "an event's id is appended to the base"
        );
        Self {
            households,
            registry,
            places,
            events_base,
        }
    }

    /// Plans this week's notices of every municipality not planned yet this week, and the
    /// addenda of those planned before today that have new events; returns how many notices were
    /// queued.
    pub async fn plan_due(&self, now: DateTime<Utc>) -> Result<u64, PlannerError> {
        let today = japan::date_of(now);
        let week = japan::week_starting(today);
        let sunday = week + Days::new(6);
        let runs = week_runs(self.households.connection(), week).await?;
        let mut queued = 0;
        for municipality in self.municipalities().await? {
            let told_before = match runs.get(municipality.code.as_str()) {
                None => None,
                Some(WeekRun {
                    planned_at,
                    told: Some(told),
                }) if japan::date_of(*planned_at) < today => Some(told),
                // Told today already, or planned before told events were kept.
                Some(_) => continue,
            };
            let area = Area::around(municipality.code, municipality.region.clone());
            let events = self.places.events_between(&area, today, sunday).await?;
            let (fresh, told, claim) = still_to_tell(events, told_before);
            // A week without events is not claimed: one published on Wednesday is told then.
            if fresh.is_empty() {
                continue;
            }
            let venues = self.venue_names(&fresh).await?;
            let plan = MunicipalityWeek {
                code: municipality.code,
                week,
                events: &fresh,
                venues: &venues,
                told,
                claim,
            };
            queued += self.plan_municipality(&plan, now).await?;
        }
        Ok(queued)
    }

    /// The municipalities (not the prefecture), with their regions.
    async fn municipalities(&self) -> Result<Vec<Municipality>, PlannerError> {
        let page = PageRequest {
            limit: Some(500),
            cursor: None,
        };
        let municipalities = self.registry.municipalities(&page).await?;
        Ok(municipalities
            .items
            .into_iter()
            .filter(|municipality| municipality.kind != "prefecture")
            .collect())
    }

    /// The names of the places events are held at; a place gone from the public registry is
    /// named by nothing rather than failing the week.
    async fn venue_names(&self, events: &[EventDays]) -> Result<HashMap<Uuid, String>, PlannerError> {
        let mut names = HashMap::new();
        for days in events {
            let Venue::Place { place_id } = &days.event.content.venue else {
                continue;
            };
            if names.contains_key(place_id) {
                continue;
            }
            match self.places.place(*place_id, Visibility::Public).await {
                Ok(place) => names.insert(*place_id, place.content.name),
                Err(kosodate_places::PlacesError::PlaceNotFound(_)) => continue,
                Err(error) => return Err(error.into()),
            };
        }
        Ok(names)
    }

    /// Claims the municipality's week and queues its households' notices in one transaction.
    async fn plan_municipality(
        &self,
        plan: &MunicipalityWeek<'_>,
        now: DateTime<Utc>,
    ) -> Result<u64, PlannerError> {
        let txn = begin_write(self.households.connection()).await?;
        // Under the lock a withdrawal takes: a withdrawal either comes first and is seen, or
        // comes after and cancels what this queues.
        match_store::exclude_consent_changes(&txn).await?;
        if !claim_week(&txn, plan, now).await? {
            return Ok(0);
        }
        let mut queued = 0;
        let mut after: Option<String> = None;
        loop {
            let scope = PageScope {
                municipalities: Some(std::slice::from_ref(&plan.code)),
                ids: None,
                until: None,
            };
            let page = consenting_page(&txn, after.as_deref(), HOUSEHOLD_PAGE, scope).await?;
            let ids: Vec<String> = page
                .households
                .iter()
                .map(|stored| stored.id.to_string())
                .collect();
            queued += self.queue_page(&txn, plan, &ids, now).await?;
            if !page.full {
                break;
            }
            after = page.last_read;
        }
        txn.commit().await?;
        Ok(queued)
    }

    async fn queue_page(
        &self,
        txn: &impl ConnectionTrait,
        plan: &MunicipalityWeek<'_>,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<u64, PlannerError> {
        let records = kosodate_households::records_on(txn, ids).await?;
        let asking: Vec<&HouseholdRecord> = records
            .iter()
            .filter(|record| record.preferences.weekly_events)
            .collect();
        if asking.is_empty() {
            return Ok(0);
        }
        let asking_ids: Vec<String> = asking.iter().map(|record| record.id.to_string()).collect();
        let mut channels = kosodate_households::deliverable_channels(txn, &asking_ids).await?;
        let mut queued = 0;
        for record in asking {
            let Some(channels) = channels.remove(&record.id.to_string()) else {
                continue;
            };
            let children: Vec<ChildDate> = record
                .household
                .children
                .iter()
                .map(|child| child.birth.into())
                .collect();
            let suited = suited_events(plan.events, &children);
            if suited.is_empty() {
                continue;
            }
            let content = NoticeContent {
                kind: plan.claim.kind(),
                programs: Vec::new(),
                disabled_channel: None,
                question: None,
                events: suited
                    .iter()
                    .map(|event| self.event_notice(event, record, plan.venues))
                    .collect(),
            };
            let addendum = match plan.claim {
                Claim::First => None,
                Claim::Addendum { .. } => Some(&plan.told),
            };
            let key = weekly_key(record.id.as_uuid(), plan.week, addendum);
            queued += outbox::enqueue(txn, drafts(record, &channels, Some(key), None, &content), now).await?;
        }
        Ok(queued)
    }

    fn event_notice(
        &self,
        suited: &SuitedEvent,
        record: &HouseholdRecord,
        venues: &HashMap<Uuid, String>,
    ) -> EventNotice {
        let content = &suited.event.content;
        let venue = match &content.venue {
            Venue::Place { place_id } => venues.get(place_id).cloned().unwrap_or_default(),
            Venue::Text { text } => text.clone(),
        };
        let days = suited
            .occurrences
            .iter()
            .map(|occurrence| {
                let end = occurrence.end.map(|end| format!("〜{end}")).unwrap_or_default();
                format!(
                    "{} {}{end}",
                    format_date_with_weekday(occurrence.date.date()),
                    occurrence.start
                )
            })
            .collect();
        let sign_up = match content.sign_up.method {
            SignUpMethod::None => None,
            method => Some(format!("{}で申込み", method.label_ja())),
        };
        EventNotice {
            title: content.title.clone(),
            days,
            venue,
            children: suited
                .children
                .iter()
                .map(|&child| child_name(record, child))
                .collect(),
            sign_up,
            url: self.event_url(suited.event.id),
        }
    }

    fn event_url(&self, id: Uuid) -> url::Url {
        let mut url = self.events_base.clone();
        url.set_path(&format!("{}{id}", self.events_base.path()));
        url
    }
}

/// The events of the week not told yet (all of them for the week's first notice), what the run
/// holds once they are told, and how the run is claimed.
fn still_to_tell(
    events: Vec<EventDays>,
    told_before: Option<&ToldEvents>,
) -> (Vec<EventDays>, ToldEvents, Claim) {
    let Some(told_before) = told_before else {
        let told = ToldEvents(events.iter().map(|days| days.event.id).collect());
        return (events, told, Claim::First);
    };
    let fresh: Vec<EventDays> = events
        .into_iter()
        .filter(|days| !told_before.0.contains(&days.event.id))
        .collect();
    let mut told = told_before.clone();
    told.0.extend(fresh.iter().map(|days| days.event.id));
    let claim = Claim::Addendum {
        told_before: told_before.clone(),
    };
    (fresh, told, claim)
}

/// The notice's idempotency key: the same for a household's week, or for one of its addenda
/// (named by what the week has told with it), however often it is planned.
fn weekly_key(household: Uuid, week: NaiveDate, addendum: Option<&ToldEvents>) -> Uuid {
    use sha2::{Digest, Sha256};
    let mut named = format!("weekly-events/{household}/{week}");
    if let Some(told) = addendum {
        named.push('/');
        named.push_str(&told.stored());
    }
    let digest = Sha256::digest(named.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Each municipality's run of `week`: one read, so that a process asking every few minutes
/// takes no write lock for weeks that are done.
async fn week_runs(db: &impl ConnectionTrait, week: NaiveDate) -> Result<HashMap<String, WeekRun>, DbErr> {
    let select = Query::select()
        .columns([
            Alias::new("municipality_code"),
            Alias::new("planned_at"),
            Alias::new("told_event_ids"),
        ])
        .from(Alias::new(RUNS_TABLE))
        .and_where(Expr::col(Alias::new("week")).eq(week))
        .to_owned();
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| {
            let told: Option<String> = row.try_get("", "told_event_ids")?;
            let run = WeekRun {
                planned_at: row.try_get("", "planned_at")?,
                told: told.as_deref().map(ToldEvents::read).transpose()?,
            };
            Ok((row.try_get::<String>("", "municipality_code")?, run))
        })
        .collect()
}

/// Claims the plan's (week, municipality) in `txn`: `false` when another process has planned it,
/// or for an addendum, has told other events since it was read.
async fn claim_week(
    txn: &impl ConnectionTrait,
    plan: &MunicipalityWeek<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let planned_at = kosodate_database::stored_instant(now);
    let result = match &plan.claim {
        Claim::First => {
            let insert = Query::insert()
                .into_table(Alias::new(RUNS_TABLE))
                .columns([
                    Alias::new("week"),
                    Alias::new("municipality_code"),
                    Alias::new("planned_at"),
                    Alias::new("told_event_ids"),
                ])
                .values([
                    plan.week.into(),
                    plan.code.to_string().into(),
                    planned_at.into(),
                    plan.told.stored().into(),
                ])
                .map_err(|error| DbErr::Custom(error.to_string()))?
                .on_conflict(
                    OnConflict::columns([Alias::new("week"), Alias::new("municipality_code")])
                        .do_nothing()
                        .to_owned(),
                )
                .to_owned();
            txn.execute(&insert).await?
        }
        Claim::Addendum { told_before } => {
            let update = Query::update()
                .table(Alias::new(RUNS_TABLE))
                .value(Alias::new("planned_at"), planned_at)
                .value(Alias::new("told_event_ids"), plan.told.stored())
                .and_where(Expr::col(Alias::new("week")).eq(plan.week))
                .and_where(Expr::col(Alias::new("municipality_code")).eq(plan.code.to_string()))
                .and_where(Expr::col(Alias::new("told_event_ids")).eq(told_before.stored()))
                .to_owned();
            txn.execute(&update).await?
        }
    };
    Ok(result.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_same_for_a_week_and_differs_between_weeks_and_households() {
        let household = Uuid::now_v7();
        let week = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let next = NaiveDate::from_ymd_opt(2026, 12, 14).unwrap_or_default();
        let key = |household, week| weekly_key(household, week, None);
        assert_eq!(key(household, week), key(household, week));
        assert_ne!(key(household, week), key(household, next));
        assert_ne!(key(household, week), key(Uuid::now_v7(), week));
    }

    #[test]
    fn each_addendum_has_its_own_key() {
        let household = Uuid::now_v7();
        let week = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let first = ToldEvents(BTreeSet::from([Uuid::now_v7()]));
        let mut second = first.clone();
        second.0.insert(Uuid::now_v7());
        let week_key = weekly_key(household, week, None);
        assert_ne!(week_key, weekly_key(household, week, Some(&first)));
        assert_ne!(
            weekly_key(household, week, Some(&first)),
            weekly_key(household, week, Some(&second))
        );
        assert_eq!(
            weekly_key(household, week, Some(&second)),
            weekly_key(household, week, Some(&second.clone()))
        );
    }

    #[test]
    fn told_events_read_back_as_they_were_stored() {
        let told = ToldEvents(BTreeSet::from([Uuid::now_v7(), Uuid::now_v7()]));
        assert_eq!(ToldEvents::read(&told.stored()).ok(), Some(told));
        assert!(ToldEvents::read("not json").is_err());
    }
}
