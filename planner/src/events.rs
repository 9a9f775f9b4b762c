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

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, SubsecRound, Utc};
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
    events: &'a [EventDays],
    venues: &'a HashMap<Uuid, String>,
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

    /// Plans this week's notices of every municipality not planned yet this week; returns how
    /// many notices were queued.
    pub async fn plan_due(&self, now: DateTime<Utc>) -> Result<u64, PlannerError> {
        let today = japan::date_of(now);
        let week = monday_of(today);
        let sunday = week + Days::new(6);
        let planned = planned_municipalities(self.households.connection(), week).await?;
        let mut queued = 0;
        for municipality in self.municipalities().await? {
            if planned.contains(municipality.code.as_str()) {
                continue;
            }
            let area = Area::around(municipality.code, municipality.region.clone());
            let events = self.places.events_between(&area, today, sunday).await?;
            // A week without events is not claimed: one published on Wednesday is told then.
            if events.is_empty() {
                continue;
            }
            let venues = self.venue_names(&events).await?;
            let plan = MunicipalityWeek {
                code: municipality.code,
                week,
                events: &events,
                venues: &venues,
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
        if !claim_week(&txn, plan.week, plan.code, now).await? {
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
                kind: NoticeKind::WeeklyEvents,
                programs: Vec::new(),
                disabled_channel: None,
                question: None,
                events: suited
                    .iter()
                    .map(|event| self.event_notice(event, record, plan.venues))
                    .collect(),
            };
            let key = weekly_key(record.id.as_uuid(), plan.week);
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

/// The Monday of `day`'s week (weeks run Monday to Sunday in Japan's calendars).
fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(u64::from(day.weekday().num_days_from_monday()))
}

/// The notice's idempotency key: the same for a household's week however often it is planned.
fn weekly_key(household: Uuid, week: NaiveDate) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("weekly-events/{household}/{week}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// The municipalities whose `week` is planned already: one read, so that a process asking every
/// few minutes takes no write lock for weeks that are done.
async fn planned_municipalities(
    db: &impl ConnectionTrait,
    week: NaiveDate,
) -> Result<HashSet<String>, DbErr> {
    let select = Query::select()
        .column(Alias::new("municipality_code"))
        .from(Alias::new(RUNS_TABLE))
        .and_where(Expr::col(Alias::new("week")).eq(week))
        .to_owned();
    let rows = db.query_all(&select).await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "municipality_code"))
        .collect()
}

/// Claims (week, municipality) in `txn`: `false` when another process has planned it.
async fn claim_week(
    txn: &impl ConnectionTrait,
    week: NaiveDate,
    municipality: MunicipalityCode,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let insert = Query::insert()
        .into_table(Alias::new(RUNS_TABLE))
        .columns([
            Alias::new("week"),
            Alias::new("municipality_code"),
            Alias::new("planned_at"),
        ])
        .values([
            week.into(),
            municipality.to_string().into(),
            now.trunc_subsecs(6).into(),
        ])
        .map_err(|error| DbErr::Custom(error.to_string()))?
        .on_conflict(
            OnConflict::columns([Alias::new("week"), Alias::new("municipality_code")])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    Ok(txn.execute(&insert).await?.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_starts_on_monday() {
        let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| unreachable!());
        assert_eq!(monday_of(day("2026-12-07")), day("2026-12-07"));
        assert_eq!(monday_of(day("2026-12-13")), day("2026-12-07"));
        assert_eq!(monday_of(day("2026-12-05")), day("2026-11-30"));
    }

    #[test]
    fn the_key_is_the_same_for_a_week_and_differs_between_weeks_and_households() {
        let household = Uuid::now_v7();
        let week = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let next = NaiveDate::from_ymd_opt(2026, 12, 14).unwrap_or_default();
        assert_eq!(weekly_key(household, week), weekly_key(household, week));
        assert_ne!(weekly_key(household, week), weekly_key(household, next));
        assert_ne!(weekly_key(household, week), weekly_key(Uuid::now_v7(), week));
    }
}
