//! `/events/{id}` and `/places/{id}`: one published event or place, for anybody; and the same
//! pages as a preview for the staff who may change the record (`/staff/events/{id}/preview`,
//! `/staff/places/{id}/preview`), drafts too, under a banner that says so.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{Vocabulary, japan};
use kosodate_places::{Audience, Event, EventFilter, MonthRange, Place, PlacesError, SignUpMethod, Venue};
use kosodate_registry::Visibility;
use uuid::Uuid;

use super::listing::{days_of, published};
use super::{EventDay, window};
use crate::error::ApiError;
use crate::pages::places::Places;
use crate::pages::visitor::Visitor;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// Next dates a detail page shows.
const NEXT_DATES: usize = 8;

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    event: Event,
    kind: &'static str,
    owner_name: String,
    /// The place's page when the venue is a published place.
    place: Option<(Uuid, String, String)>,
    venue: Option<String>,
    audience: Vec<String>,
    next: Vec<EventDay>,
    sign_up: String,
    fee: String,
    going: Going,
    preview: Option<Preview>,
}

/// The banner of a staff preview: the record's status and its editor.
#[derive(Debug)]
pub struct Preview {
    pub status: &'static str,
    pub published: bool,
    pub editor: String,
}

impl Preview {
    /// Which records a page shows: the public's, or in a preview the staff's (drafts too).
    fn visibility(preview: Option<&Self>) -> Visibility {
        match preview {
            Some(_) => Visibility::Staff,
            None => Visibility::Public,
        }
    }
}

/// Where the 「行く」 button stands for whoever looks.
#[derive(Debug)]
pub enum Going {
    /// Not a signed-in parent with a household: the page says how to get there.
    SignIn,
    Parent {
        csrf_token: String,
        going: bool,
    },
}

pub async fn event(
    State(state): State<AppState>,
    visitor: Visitor,
    RecordId(id): RecordId<path_ids::Event>,
) -> Result<Response, ApiError> {
    let event = state.places.event(id, Visibility::Public).await?;
    let going = going(&state, &visitor, id).await?;
    event_page(&state, event, going, None).await
}

/// An event's page as a parent sees it, or in a preview as a parent would see it once published.
pub async fn event_page(
    state: &AppState,
    event: Event,
    going: Going,
    preview: Option<Preview>,
) -> Result<Response, ApiError> {
    let places = Places::load(state).await?;
    let visibility = Preview::visibility(preview.as_ref());
    let (place, venue) = match &event.content.venue {
        Venue::Place { place_id } => match state.places.place(*place_id, visibility).await {
            Ok(place) => (Some((place.id, place.content.name, place.content.address)), None),
            Err(PlacesError::PlaceNotFound(_)) => (None, None),
            Err(error) => return Err(error.into()),
        },
        Venue::Text { text } => (None, Some(text.clone())),
    };
    let (from, to) = window();
    let mut next = days_of(std::iter::once(&event), from, to);
    next.truncate(NEXT_DATES);
    let page = EventPage {
        kind: event.content.kind.label_ja(),
        owner_name: places.name_of(&event.content.owner.to_string()),
        audience: audience_words(&event.content.audience),
        sign_up: sign_up_words(&event),
        fee: match event.content.fee.yen {
            0 => "無料".to_owned(),
            yen => format!("{yen}円"),
        },
        place,
        venue,
        next,
        event,
        going,
        preview,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

async fn going(state: &AppState, visitor: &Visitor, event: Uuid) -> Result<Going, ApiError> {
    let (Some(account), Some(session)) = (visitor.parent(), visitor.session.as_ref()) else {
        return Ok(Going::SignIn);
    };
    let Some(household) = crate::parent::household(state, account).await? else {
        return Ok(Going::SignIn);
    };
    let attended = state.households.attended_events(household).await?;
    Ok(Going::Parent {
        csrf_token: session.csrf_token.clone(),
        going: attended.iter().any(|(id, _)| *id == event),
    })
}

/// Who an event is for, in a parent's words: 「妊娠中の方」「生後5か月から8か月のお子さん」.
pub fn audience_words(audience: &Audience) -> Vec<String> {
    let mut words = Vec::new();
    if audience.pregnancy {
        words.push("妊娠中の方".to_owned());
    }
    if let Some(range) = audience.age_months {
        words.push(format!("{}のお子さん", months_words(range)));
    }
    if let Some(grades) = audience.grades {
        words.push(format!("{}から{}", grades.from.name_ja(), grades.to.name_ja()));
    }
    if words.is_empty() {
        words.push("どなたでも".to_owned());
    }
    words.extend(audience.note.clone());
    words
}

/// 「生後5か月から8か月」.
pub fn months_words(range: MonthRange) -> String {
    match (range.from, range.to) {
        (Some(from), Some(to)) => format!("生後{from}か月から{to}か月"),
        (Some(from), None) => format!("生後{from}か月から"),
        (None, Some(to)) => format!("生後{to}か月まで"),
        (None, None) => "年齢を問わず".to_owned(),
    }
}

fn sign_up_words(event: &Event) -> String {
    let sign_up = &event.content.sign_up;
    let mut words = match sign_up.method {
        SignUpMethod::None => "申込は不要です。直接会場へお越しください。".to_owned(),
        SignUpMethod::Phone => {
            let phone = sign_up.phone.as_ref().or(event.content.contact.phone.as_ref());
            format!(
                "電話で申し込んでください{}。",
                phone.map(|p| format!("（{p}）")).unwrap_or_default()
            )
        }
        SignUpMethod::Web => "申込フォームから申し込んでください。".to_owned(),
        SignUpMethod::Counter => "窓口で申し込んでください。".to_owned(),
    };
    if let Some(deadline) = sign_up.deadline {
        words.push_str(&format!(
            "締切：{}。",
            japan::format_date_with_weekday(deadline.date())
        ));
    }
    if let Some(days) = sign_up.deadline_days_before {
        words.push_str(&format!("各開催日の{days}日前までに申し込んでください。"));
    }
    words
}

#[derive(Template)]
#[template(path = "facility.html")]
struct PlacePage {
    place: Place,
    kind: &'static str,
    owner_name: String,
    hours: Vec<(String, String)>,
    facilities: Vec<&'static str>,
    ages: Option<String>,
    next: Vec<EventDay>,
    preview: Option<Preview>,
}

pub async fn place(
    State(state): State<AppState>,
    RecordId(id): RecordId<path_ids::Place>,
) -> Result<Response, ApiError> {
    let place = state.places.place(id, Visibility::Public).await?;
    place_page(&state, place, None).await
}

/// A place's page as a parent sees it, or in a preview as a parent would see it once published
/// (its events are the published ones either way).
pub async fn place_page(
    state: &AppState,
    place: Place,
    preview: Option<Preview>,
) -> Result<Response, ApiError> {
    let places = Places::load(state).await?;
    let (from, to) = window();
    let filter = EventFilter {
        place: Some(place.id),
        from: Some(from),
        to: Some(to),
        ..EventFilter::default()
    };
    let events = published(state, &filter).await?;
    let content = &place.content;
    let page = PlacePage {
        kind: content.kind.label_ja(),
        owner_name: places.name_of(&content.owner.to_string()),
        hours: content
            .opening_hours
            .days
            .iter()
            .map(|day| {
                let note = day
                    .note
                    .as_ref()
                    .map(|note| format!("（{note}）"))
                    .unwrap_or_default();
                (
                    format!("{}曜日", day.weekday.label_ja()),
                    format!("{}〜{}{note}", day.open, day.close),
                )
            })
            .collect(),
        facilities: content
            .facilities
            .iter()
            .map(|facility| facility.label_ja())
            .collect(),
        ages: content.age_months.map(months_words),
        next: days_of(events.iter(), from, to),
        place,
        preview,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}
