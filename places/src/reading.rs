//! Reading places and events: one by id, lists for the public (published only) and staff, and
//! the change feed copies follow (by `updated_at`, then id, like the registry's).

use std::ops::RangeInclusive;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::{MunicipalityCode, PREFECTURE_CODE, Vocabulary};
use kosodate_registry::page::{Page, PageRequest};
use kosodate_registry::{StaffIdentity, Visibility};
use kosodate_search::{DEFAULT_SYNONYMS, Synonyms, fold_kana, normalize};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::{event, place};
use crate::error::PlacesError;
use crate::history::{self, EventVersion, PlaceVersion, Subject};
use crate::model::{Event, Place};
use crate::store::{Hold, Places, authorize, event_from_row, load_event, load_place, place_from_row};
use crate::vocabulary::{EventKind, PlaceKind, Status};

/// Where: records of one municipality (and the prefecture's, which are for everybody), of a
/// region (its municipalities' and the prefecture's), or of exactly one owner.
#[derive(Debug, Clone, Default)]
pub struct Area {
    pub municipality: Option<MunicipalityCode>,
    /// The region as the registry's municipalities name it (東青, 中南, 三八, 西北, 上北, 下北).
    pub region: Option<String>,
    pub owner: Option<MunicipalityCode>,
}

impl Area {
    /// Where a household of `municipality` looks for events: its region's and the
    /// prefecture's, or, for a municipality the registry puts in no region, its own.
    pub fn around(municipality: MunicipalityCode, region: Option<String>) -> Self {
        match region {
            Some(region) => Self {
                region: Some(region),
                ..Self::default()
            },
            None => Self {
                municipality: Some(municipality),
                ..Self::default()
            },
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlaceFilter {
    pub area: Area,
    pub kind: Option<PlaceKind>,
    /// Places that suit a child of this many months (those without an age range suit all).
    pub age_months: Option<i32>,
    /// Words found in the name, reading, address or description (width and case folded).
    pub text: Option<String>,
    /// For staff: only this status.
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub area: Area,
    pub kind: Option<EventKind>,
    pub place: Option<Uuid>,
    /// Events taking place on at least one day from `from` to `to` (both included).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Events that suit a child of some age in these months (completed months, both ends
    /// included): one month from a list's filter, a year's twelve from the search page's.
    pub age_months: Option<RangeInclusive<i32>>,
    pub text: Option<String>,
    pub status: Option<Status>,
}

/// Where a reader of a change feed has got to (as `kosodate_registry::FeedPosition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedPosition {
    pub updated_at: DateTime<Utc>,
    pub id: Option<Uuid>,
}

/// How many rows a filtered list reads at a time while filling a page with what the database
/// cannot filter (text, ages, the days of a recurring event).
const SCAN_BATCH: u64 = 200;

impl Places {
    pub async fn place(&self, id: Uuid, visibility: Visibility) -> Result<Place, PlacesError> {
        let place = load_place(&self.db, id, Hold::Nothing).await?;
        match visibility == Visibility::Staff || place.status == Status::Published {
            true => Ok(place),
            false => Err(PlacesError::PlaceNotFound(id)),
        }
    }

    pub async fn event(&self, id: Uuid, visibility: Visibility) -> Result<Event, PlacesError> {
        let event = load_event(&self.db, id, Hold::Nothing).await?;
        match visibility == Visibility::Staff || event.status == Status::Published {
            true => Ok(event),
            false => Err(PlacesError::EventNotFound(id)),
        }
    }

    /// A page of places in id order.
    pub async fn list_places(
        &self,
        filter: &PlaceFilter,
        visibility: Visibility,
        page: &PageRequest,
    ) -> Result<Page<Place>, PlacesError> {
        let query = || {
            let mut query = place::Entity::find()
                .order_by_asc(place::Column::Id)
                .filter(area_condition(&filter.area, place::Column::OwnerCode));
            if let Some(status) = wanted_status(visibility, filter.status) {
                query = query.filter(place::Column::Status.eq(status.id()));
            }
            if let Some(kind) = filter.kind {
                query = query.filter(place::Column::Kind.eq(kind.id()));
            }
            query
        };
        let scan = Scan {
            db: &self.db,
            query,
            id: place::Column::Id,
            row_id: |row: &place::Model| row.id.clone(),
            read: place_from_row,
        };
        let words = filter.text.as_deref().map(QueryWords::of);
        let items = scan
            .fill(page, |place| place_matches(place, filter, words.as_ref()))
            .await?;
        Ok(Page::from_overfetch(items, page.limit(), |place| {
            place.id.to_string()
        }))
    }

    /// A page of events in id order.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        visibility: Visibility,
        page: &PageRequest,
    ) -> Result<Page<Event>, PlacesError> {
        let scan = Scan {
            db: &self.db,
            query: || event_query(filter, visibility),
            id: event::Column::Id,
            row_id: |row: &event::Model| row.id.clone(),
            read: event_from_row,
        };
        let words = filter.text.as_deref().map(QueryWords::of);
        let items = scan
            .fill(page, |event| event_matches(event, filter, words.as_ref()))
            .await?;
        Ok(Page::from_overfetch(items, page.limit(), |event| {
            event.id.to_string()
        }))
    }

    /// Up to `limit` places (in any status) that changed after `after`, oldest change first.
    pub async fn places_changed_after(
        &self,
        after: Option<FeedPosition>,
        limit: u64,
    ) -> Result<Vec<Place>, PlacesError> {
        let query = place::Entity::find()
            .order_by_asc(place::Column::UpdatedAt)
            .order_by_asc(place::Column::Id)
            .filter(feed_condition(after, place::Column::UpdatedAt, place::Column::Id));
        let rows = query.limit(limit).all(&self.db).await?;
        rows.into_iter().map(place_from_row).collect()
    }

    /// Up to `limit` events (in any status) that changed after `after`, oldest change first.
    pub async fn events_changed_after(
        &self,
        after: Option<FeedPosition>,
        limit: u64,
    ) -> Result<Vec<Event>, PlacesError> {
        let query = event::Entity::find()
            .order_by_asc(event::Column::UpdatedAt)
            .order_by_asc(event::Column::Id)
            .filter(feed_condition(after, event::Column::UpdatedAt, event::Column::Id));
        let rows = query.limit(limit).all(&self.db).await?;
        rows.into_iter().map(event_from_row).collect()
    }
}

/// Reading a list in id order a batch at a time, keeping what passes the filters the database
/// cannot apply, until a page (and one more, which says there is a next page) is full.
struct Scan<'a, Q, C, R, V> {
    db: &'a sea_orm::DatabaseConnection,
    query: Q,
    id: C,
    row_id: R,
    read: V,
}

impl<E, T, Q, C, R, V> Scan<'_, Q, C, R, V>
where
    E: EntityTrait,
    Q: Fn() -> sea_orm::Select<E>,
    C: ColumnTrait,
    R: Fn(&E::Model) -> String,
    V: Fn(E::Model) -> Result<T, PlacesError>,
{
    async fn fill(&self, page: &PageRequest, keep: impl Fn(&T) -> bool) -> Result<Vec<T>, PlacesError> {
        let wanted = page.limit() + 1;
        let batch = Ord::max(SCAN_BATCH, wanted);
        let mut after = page.after()?;
        let mut items = Vec::new();
        loop {
            let mut query = (self.query)();
            if let Some(after) = &after {
                query = query.filter(self.id.gt(after.clone()));
            }
            let rows = query.limit(batch).all(self.db).await?;
            let exhausted = (rows.len() as u64) < batch;
            after = rows.last().map(&self.row_id);
            for row in rows {
                let item = (self.read)(row)?;
                if keep(&item) {
                    items.push(item);
                }
            }
            if exhausted || items.len() as u64 >= wanted {
                return Ok(items);
            }
        }
    }
}

fn wanted_status(visibility: Visibility, asked: Option<Status>) -> Option<Status> {
    match visibility {
        Visibility::Public => Some(Status::Published),
        Visibility::Staff => asked,
    }
}

fn event_query(filter: &EventFilter, visibility: Visibility) -> sea_orm::Select<event::Entity> {
    let mut query = event::Entity::find()
        .order_by_asc(event::Column::Id)
        .filter(area_condition(&filter.area, event::Column::OwnerCode));
    if let Some(status) = wanted_status(visibility, filter.status) {
        query = query.filter(event::Column::Status.eq(status.id()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(event::Column::Kind.eq(kind.id()));
    }
    if let Some(place) = filter.place {
        query = query.filter(event::Column::PlaceId.eq(place.to_string()));
    }
    if let Some(to) = filter.to {
        query = query.filter(event::Column::FirstDate.lte(to));
    }
    if let Some(from) = filter.from {
        query = query.filter(
            Condition::any()
                .add(event::Column::LastDate.is_null())
                .add(event::Column::LastDate.gte(from)),
        );
    }
    query
}

fn area_condition(area: &Area, owner: impl ColumnTrait) -> Condition {
    let prefecture = PREFECTURE_CODE.to_string();
    let mut condition = Condition::all();
    if let Some(code) = area.owner {
        condition = condition.add(owner.eq(code.to_string()));
    }
    if let Some(code) = area.municipality {
        condition = condition.add(owner.is_in([code.to_string(), prefecture.clone()]));
    }
    if let Some(region) = &area.region {
        let in_region = Query::select()
            .column(Alias::new("code"))
            .from(Alias::new("municipalities"))
            .and_where(Expr::col(Alias::new("region")).eq(region.clone()))
            .to_owned();
        condition = condition.add(
            Condition::any()
                .add(owner.in_subquery(in_region))
                .add(owner.eq(prefecture)),
        );
    }
    condition
}

fn feed_condition(
    after: Option<FeedPosition>,
    updated_at: impl ColumnTrait,
    id: impl ColumnTrait,
) -> Condition {
    match after {
        None => Condition::all(),
        Some(FeedPosition {
            updated_at: at,
            id: None,
        }) => Condition::all().add(updated_at.gte(at)),
        Some(FeedPosition {
            updated_at: at,
            id: Some(after),
        }) => Condition::any().add(updated_at.gt(at)).add(
            Condition::all()
                .add(updated_at.eq(at))
                .add(id.gt(after.to_string())),
        ),
    }
}

/// The synonym groups of the program search (`search/synonyms.txt`), so that both searches relate
/// the same words; the search crate's own test checks that the shipped file parses.
static SYNONYMS: LazyLock<Synonyms> = LazyLock::new(|| Synonyms::parse(DEFAULT_SYNONYMS).unwrap_or_default());

/// Text as the program search compares it: NFKC, lower case, カタカナ as ひらがな.
fn fold(text: &str) -> String {
    fold_kana(&normalize(text))
}

/// The words of a text filter, each with the spellings that also count: the word with a synonym
/// in place of a group's word it holds (「赤ちゃん」 also as 「乳児」 and 「新生児」). A record
/// matches when every word occurs in its text in one of its spellings. Lists of places and
/// events are a municipality's or a region's, so reading their few records beats an index.
struct QueryWords(Vec<Vec<String>>);

impl QueryWords {
    fn of(text: &str) -> Self {
        let words = fold(text)
            .split_whitespace()
            .map(|word| {
                let mut spellings = vec![word.to_owned()];
                for expansion in SYNONYMS.expand(word) {
                    spellings.extend(
                        expansion
                            .alternatives
                            .iter()
                            .map(|alternative| word.replace(expansion.found, alternative)),
                    );
                }
                spellings
            })
            .collect();
        Self(words)
    }

    fn all_in(&self, fields: &[Option<&str>]) -> bool {
        let haystack = fold(&fields.iter().flatten().copied().collect::<Vec<_>>().join("\n"));
        self.0.iter().all(|spellings| {
            spellings
                .iter()
                .any(|spelling| haystack.contains(spelling.as_str()))
        })
    }
}

fn place_matches(place: &Place, filter: &PlaceFilter, words: Option<&QueryWords>) -> bool {
    let content = &place.content;
    let age = filter
        .age_months
        .is_none_or(|months| content.age_months.is_none_or(|range| range.contains(months)));
    let text = words.is_none_or(|words| {
        words.all_in(&[
            Some(&content.name),
            content.reading.as_deref(),
            Some(&content.address),
            content.description.as_deref(),
            Some(content.kind.label_ja()),
        ])
    });
    age && text
}

fn event_matches(event: &Event, filter: &EventFilter, words: Option<&QueryWords>) -> bool {
    let content = &event.content;
    let age = filter
        .age_months
        .as_ref()
        .is_none_or(|months| content.audience.suits_some_age_in_months(months));
    let text = words.is_none_or(|words| {
        words.all_in(&[
            Some(&content.title),
            content.reading.as_deref(),
            content.description.as_deref(),
            Some(content.kind.label_ja()),
        ])
    });
    let days = match (filter.from, filter.to) {
        (Some(from), Some(to)) => !event.occurrences_between(from, to).is_empty(),
        _ => true,
    };
    age && text && days
}

impl Places {
    /// Every version of a place, oldest first, for whoever may change it.
    pub async fn place_history(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
    ) -> Result<Vec<PlaceVersion>, PlacesError> {
        let place = load_place(&self.db, id, Hold::Nothing).await?;
        authorize(actor, place.content.owner)?;
        history::versions(&self.db, Subject::Place, id).await
    }

    /// Every version of an event, oldest first, for whoever may change it.
    pub async fn event_history(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
    ) -> Result<Vec<EventVersion>, PlacesError> {
        let event = load_event(&self.db, id, Hold::Nothing).await?;
        authorize(actor, event.content.owner)?;
        history::versions(&self.db, Subject::Event, id).await
    }
}
