//! Open data of places and events: schema.org JSON-LD (`Place` and its civic kinds, `Event` with
//! `eventSchedule`, `audience`, `offers`, `location`) and an iCalendar feed of the events
//! (recurring ones as one `VEVENT` with its `RRULE` and `EXDATE`s, in Japan's time zone). Every
//! record carries its licence (CC BY 4.0 unless its owner says otherwise). Published records only.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, EventLike, Property};
use kosodate_domain::{CalendarDate, MunicipalityCode, Vocabulary};
use kosodate_places::{
    Event, EventFilter, Occurrence, Place, PlaceFilter, PlaceKind, Recurrence, Schedule, SignUpMethod, Venue,
    Weekday,
};
use kosodate_registry::Visibility;
use kosodate_registry::page::PageRequest;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, Problem};
use crate::extract::ApiQuery;
use crate::places::area;
use crate::state::AppState;

const TIME_ZONE: &str = "Asia/Tokyo";
/// Japan has kept one offset without daylight saving since 1951: the whole definition.
const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n\
TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// Which records: an area, as the lists take it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpenDataQuery {
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
    /// 東青, 中南, 三八, 西北, 上北 or 下北.
    #[param(schema_with = crate::places::region_schema)]
    pub region: Option<String>,
}

async fn published_places(state: &AppState, filter: &PlaceFilter) -> Result<Vec<Place>, ApiError> {
    let mut page = PageRequest {
        limit: Some(kosodate_registry::page::MAX_LIMIT),
        cursor: None,
    };
    let mut places = Vec::new();
    loop {
        let result = state
            .places
            .list_places(filter, Visibility::Public, &page)
            .await?;
        places.extend(result.items);
        match result.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(places),
        }
    }
}

async fn published_events(state: &AppState, filter: &EventFilter) -> Result<Vec<Event>, ApiError> {
    let mut page = PageRequest {
        limit: Some(kosodate_registry::page::MAX_LIMIT),
        cursor: None,
    };
    let mut events = Vec::new();
    loop {
        let result = state
            .places
            .list_events(filter, Visibility::Public, &page)
            .await?;
        events.extend(result.items);
        match result.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => return Ok(events),
        }
    }
}

/// The name of every municipality (and the prefecture), for organisers and localities.
async fn municipality_names(state: &AppState) -> Result<HashMap<MunicipalityCode, String>, ApiError> {
    let page = PageRequest {
        limit: Some(kosodate_registry::page::MAX_LIMIT),
        cursor: None,
    };
    let municipalities = state.registry.municipalities(&page).await?;
    Ok(municipalities
        .items
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect())
}

/// Where the record is described: its own URI in this API.
fn record_uri(state: &AppState, kind: &str, id: Uuid) -> String {
    state
        .public_url
        .join(&format!("api/v1/{kind}/{id}"))
        .map_or_else(|_| format!("/api/v1/{kind}/{id}"), String::from)
}

fn schema_day(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "https://schema.org/Monday",
        Weekday::Tue => "https://schema.org/Tuesday",
        Weekday::Wed => "https://schema.org/Wednesday",
        Weekday::Thu => "https://schema.org/Thursday",
        Weekday::Fri => "https://schema.org/Friday",
        Weekday::Sat => "https://schema.org/Saturday",
        Weekday::Sun => "https://schema.org/Sunday",
    }
}

fn place_types(kind: PlaceKind) -> Value {
    match kind {
        PlaceKind::Library => json!(["Library", "CivicStructure"]),
        PlaceKind::Park => json!(["Park", "CivicStructure"]),
        PlaceKind::IndoorPlayground => json!(["Playground", "CivicStructure"]),
        PlaceKind::Other => json!("Place"),
        _ => json!(["CivicStructure", "Place"]),
    }
}

fn place_json_ld(state: &AppState, place: &Place, names: &HashMap<MunicipalityCode, String>) -> Value {
    let content = &place.content;
    let hours: Vec<Value> = content
        .opening_hours
        .days
        .iter()
        .map(|day| {
            json!({"@type": "OpeningHoursSpecification", "dayOfWeek": schema_day(day.weekday),
                   "opens": day.open.to_string(), "closes": day.close.to_string(), "description": day.note})
        })
        .collect();
    let amenities: Vec<Value> = content
        .facilities
        .iter()
        .map(|facility| {
            json!({"@type": "LocationFeatureSpecification", "name": facility.label_ja(), "identifier": facility.id(), "value": true})
        })
        .collect();
    let geo = content
        .latitude
        .zip(content.longitude)
        .map(|(latitude, longitude)| json!({"@type": "GeoCoordinates", "latitude": latitude, "longitude": longitude}));
    json!({
        "@type": place_types(content.kind),
        "@id": record_uri(state, "places", place.id),
        "identifier": place.id,
        "name": content.name,
        "alternateName": content.reading,
        "additionalType": content.kind.label_ja(),
        "description": content.description,
        "address": {"@type": "PostalAddress", "addressCountry": "JP", "addressRegion": "青森県",
                    "addressLocality": names.get(&content.owner), "postalCode": content.postal_code,
                    "streetAddress": content.address},
        "geo": geo,
        "telephone": content.phone,
        "url": content.url,
        "openingHoursSpecification": hours,
        "specialOpeningHoursSpecification": content.opening_hours.closed_days.as_ref()
            .map(|closed| json!({"@type": "OpeningHoursSpecification", "description": format!("休館日: {closed}")})),
        "amenityFeature": amenities,
        "suggestedAge": content.age_months.map(|range| months_value(range.from, range.to)),
        "license": content.license,
        "dateModified": place.updated_at,
    })
}

/// An age range in months as schema.org writes quantities (UN/CEFACT `MON`).
fn months_value(from: Option<u16>, to: Option<u16>) -> Value {
    json!({"@type": "QuantitativeValue", "minValue": from, "maxValue": to, "unitCode": "MON", "unitText": "か月"})
}

fn local_time(date: NaiveDate, time: kosodate_places::ClockTime) -> String {
    format!("{}T{}:00+09:00", date.format("%Y-%m-%d"), time)
}

fn event_schedule(schedule: &Schedule) -> Value {
    // schema.org's Schedule repeats; days listed one by one are each a sub-event's day.
    if let Schedule::Dates { dates, start, end } = schedule {
        let days: Vec<Value> = dates
            .iter()
            .map(|date| {
                json!({"@type": "Schedule", "scheduleTimezone": TIME_ZONE, "startDate": date,
                    "endDate": date, "startTime": format!("{start}:00"),
                    "endTime": end.map(|end| format!("{end}:00"))})
            })
            .collect();
        return json!(days);
    }
    let Schedule::Recurring {
        rule,
        start,
        end,
        from,
        until,
        except,
    } = schedule
    else {
        return Value::Null;
    };
    let mut value = json!({
        "@type": "Schedule", "scheduleTimezone": TIME_ZONE,
        "startDate": from, "endDate": until,
        "startTime": format!("{start}:00"), "endTime": end.map(|end| format!("{end}:00")),
        "exceptDate": except,
    });
    match rule {
        Recurrence::Weekly {
            weekdays,
            interval_weeks,
        } => {
            value["repeatFrequency"] = json!(format!("P{interval_weeks}W"));
            value["byDay"] = json!(weekdays.iter().map(|day| schema_day(*day)).collect::<Vec<_>>());
        }
        Recurrence::MonthlyWeekday { nth, weekday } => {
            value["repeatFrequency"] = json!("P1M");
            value["byDay"] = json!(schema_day(*weekday));
            value["byMonthWeek"] = json!(nth);
        }
        Recurrence::MonthlyDay { day } => {
            value["repeatFrequency"] = json!("P1M");
            value["byMonthDay"] = json!(day);
        }
    }
    value
}

fn event_location(state: &AppState, venue: &Venue, places: &HashMap<Uuid, Place>) -> Value {
    match venue {
        Venue::Text { text } => json!({"@type": "Place", "name": text}),
        Venue::Place { place_id } => match places.get(place_id) {
            Some(place) => json!({"@type": "Place", "@id": record_uri(state, "places", *place_id),
                "name": place.content.name, "address": {"@type": "PostalAddress", "addressCountry": "JP",
                "postalCode": place.content.postal_code, "streetAddress": place.content.address}}),
            // A place not (or no longer) published is not described here.
            None => Value::Null,
        },
    }
}

fn event_json_ld(
    state: &AppState,
    event: &Event,
    places: &HashMap<Uuid, Place>,
    names: &HashMap<MunicipalityCode, String>,
) -> Value {
    let content = &event.content;
    let audience = &content.audience;
    let mut audience_types = Vec::new();
    if audience.pregnancy {
        audience_types.push("妊娠中の方".to_owned());
    }
    if let Some(grades) = audience.grades {
        audience_types.push(format!("{}〜{}", grades.from.name_ja(), grades.to.name_ja()));
    }
    audience_types.extend(audience.note.clone());
    let (start_date, end_date) = match &content.schedule {
        Schedule::Once { date, start, end } => (
            json!(local_time(date.date(), *start)),
            json!(end.map(|end| local_time(date.date(), end))),
        ),
        Schedule::Dates { dates, start, end } => {
            let at = |date: Option<&CalendarDate>, time: Option<kosodate_places::ClockTime>| {
                date.zip(time).map(|(date, time)| local_time(date.date(), time))
            };
            (
                json!(at(dates.first(), Some(*start))),
                json!(at(dates.last(), end.or(Some(*start)))),
            )
        }
        Schedule::Recurring { from, until, .. } => (json!(from), json!(until)),
    };
    let sign_up_url = (content.sign_up.method == SignUpMethod::Web).then_some(&content.sign_up.url);
    json!({
        "@type": "Event",
        "@id": record_uri(state, "events", event.id),
        "identifier": event.id,
        "name": content.title,
        "alternateName": content.reading,
        "additionalType": content.kind.label_ja(),
        "description": content.description,
        "inLanguage": "ja",
        "startDate": start_date,
        "endDate": end_date,
        "eventSchedule": event_schedule(&content.schedule),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": event_location(state, &content.venue, places),
        "audience": {"@type": "PeopleAudience", "audienceType": audience_types.join("、"),
            "suggestedAge": audience.age_months.map(|range| months_value(range.from, range.to))},
        "maximumAttendeeCapacity": content.capacity,
        "isAccessibleForFree": content.fee.yen == 0,
        "offers": {"@type": "Offer", "price": content.fee.yen, "priceCurrency": "JPY",
            "description": content.fee.note, "url": sign_up_url.cloned().flatten(),
            "availabilityEnds": content.sign_up.deadline},
        "organizer": {"@type": "GovernmentOrganization", "name": names.get(&content.owner),
            "telephone": content.contact.phone, "email": content.contact.email},
        "license": content.license,
        "dateModified": event.updated_at,
    })
}

fn json_ld(graph: &[Value]) -> Response {
    let document = json!({"@context": "https://schema.org", "@graph": graph});
    ([(header::CONTENT_TYPE, "application/ld+json")], Json(document)).into_response()
}

/// Published places as schema.org JSON-LD.
#[utoipa::path(get, path = "/open-data/places", tag = "open-data", params(OpenDataQuery),
    responses((status = 200, description = "schema.org JSON-LD (`@graph` of places)", content_type = "application/ld+json", body = Object),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn places_json_ld(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OpenDataQuery>,
) -> Result<Response, ApiError> {
    let filter = PlaceFilter {
        area: area(query.municipality.as_deref(), query.region.as_deref(), None)?,
        ..PlaceFilter::default()
    };
    let names = municipality_names(&state).await?;
    let places = published_places(&state, &filter).await?;
    let graph: Vec<Value> = places
        .iter()
        .map(|place| place_json_ld(&state, place, &names))
        .collect();
    Ok(json_ld(&graph))
}

/// Published events as schema.org JSON-LD, recurring ones with their `eventSchedule`.
#[utoipa::path(get, path = "/open-data/events", tag = "open-data", params(OpenDataQuery),
    responses((status = 200, description = "schema.org JSON-LD (`@graph` of events)", content_type = "application/ld+json", body = Object),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn events_json_ld(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OpenDataQuery>,
) -> Result<Response, ApiError> {
    let filter = EventFilter {
        area: area(query.municipality.as_deref(), query.region.as_deref(), None)?,
        ..EventFilter::default()
    };
    let names = municipality_names(&state).await?;
    let places = places_by_id(&state).await?;
    let events = published_events(&state, &filter).await?;
    let graph: Vec<Value> = events
        .iter()
        .map(|event| event_json_ld(&state, event, &places, &names))
        .collect();
    Ok(json_ld(&graph))
}

async fn places_by_id(state: &AppState) -> Result<HashMap<Uuid, Place>, ApiError> {
    let places = published_places(state, &PlaceFilter::default()).await?;
    Ok(places.into_iter().map(|place| (place.id, place)).collect())
}

/// Published events as an iCalendar feed.
#[utoipa::path(get, path = "/open-data/events.ics", tag = "open-data", params(OpenDataQuery),
    responses((status = 200, description = "iCalendar (RFC 5545)", content_type = "text/calendar", body = String),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn events_ics(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<OpenDataQuery>,
) -> Result<Response, ApiError> {
    let filter = EventFilter {
        area: area(query.municipality.as_deref(), query.region.as_deref(), None)?,
        ..EventFilter::default()
    };
    let places = places_by_id(&state).await?;
    let events = published_events(&state, &filter).await?;
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//kosodate//子育てイベント//JA"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name("子育てイベント（青森県）");
    for event in &events {
        if let Some(vevent) = ics_event(&state, event, &places) {
            calendar.push(vevent);
        }
    }
    let text = with_time_zone(&calendar.to_string());
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], text).into_response())
}

/// The `VTIMEZONE` every `TZID` refers to, before the first event (RFC 5545 3.6.5).
fn with_time_zone(calendar: &str) -> String {
    match calendar.find("BEGIN:VEVENT") {
        Some(at) => format!("{}{VTIMEZONE}{}", &calendar[..at], &calendar[at..]),
        None => calendar.replacen("END:VCALENDAR", &format!("{VTIMEZONE}END:VCALENDAR"), 1),
    }
}

fn tokyo(date: NaiveDate, time: kosodate_places::ClockTime) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: date.and_time(time.time()),
        tzid: TIME_ZONE.to_owned(),
    }
}

fn ics_day(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn rrule(rule: &Recurrence, until: Option<NaiveDate>) -> String {
    let mut text = match rule {
        Recurrence::Weekly {
            weekdays,
            interval_weeks,
        } => format!(
            "FREQ=WEEKLY;{}BYDAY={}",
            match interval_weeks {
                1 => String::new(),
                weeks => format!("INTERVAL={weeks};"),
            },
            weekdays
                .iter()
                .map(|day| ics_day(*day))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Recurrence::MonthlyWeekday { nth, weekday } => {
            format!("FREQ=MONTHLY;BYDAY={nth}{}", ics_day(*weekday))
        }
        Recurrence::MonthlyDay { day } => format!("FREQ=MONTHLY;BYMONTHDAY={day}"),
    };
    // With a zoned DTSTART, UNTIL is in UTC: the end of the last day in Japan.
    if let Some(until) = until {
        let end = kosodate_domain::japan::start_of(until.checked_add_days(Days::new(1)).unwrap_or(until))
            - chrono::Duration::seconds(1);
        text.push_str(&format!(";UNTIL={}", end.format("%Y%m%dT%H%M%SZ")));
    }
    text
}

/// A local date-time as iCalendar writes one with a TZID: `20261214T100000`.
fn local_stamp(day: CalendarDate, time: kosodate_places::ClockTime) -> String {
    day.date()
        .and_time(time.time())
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

fn ics_event(state: &AppState, event: &Event, places: &HashMap<Uuid, Place>) -> Option<icalendar::Event> {
    let content = &event.content;
    // The first day it takes place is DTSTART (RFC 5545 wants it to be an instance).
    let first: Occurrence = match &content.schedule {
        Schedule::Once { date, start, end } => Occurrence {
            date: *date,
            start: *start,
            end: *end,
        },
        Schedule::Dates { dates, start, end } => Occurrence {
            date: *dates.first()?,
            start: *start,
            end: *end,
        },
        Schedule::Recurring { from, until, .. } => {
            let last = until.map_or_else(|| from.date() + Days::new(400), |until| until.date());
            *event.occurrences_between(from.date(), last).first()?
        }
    };
    let host = state.public_url.host_str().unwrap_or("kosodate");
    let location = match &content.venue {
        Venue::Text { text } => Some(text.clone()),
        Venue::Place { place_id } => places
            .get(place_id)
            .map(|place| format!("{}（{}）", place.content.name, place.content.address)),
    };
    let mut vevent = icalendar::Event::new();
    vevent
        .uid(&format!("{}@{host}", event.id))
        .timestamp(Utc::now())
        .starts(tokyo(first.date.date(), first.start))
        .summary(&content.title)
        .description(content.description.as_deref().unwrap_or(content.kind.label_ja()))
        .url(&record_uri(state, "events", event.id))
        .append_property(Property::new("CATEGORIES", content.kind.label_ja()))
        .append_property(Property::new("X-LICENSE", &content.license));
    if let Some(end) = first.end {
        vevent.ends(tokyo(first.date.date(), end));
    }
    if let Some(location) = &location {
        vevent.location(location);
    }
    if let Schedule::Dates { dates, .. } = &content.schedule {
        // The first day is DTSTART; the others are RDATEs at the same local time.
        for day in dates.iter().skip(1) {
            vevent.append_multi_property(
                Property::new("RDATE", local_stamp(*day, first.start))
                    .add_parameter("TZID", TIME_ZONE)
                    .done(),
            );
        }
    }
    if let Schedule::Recurring {
        rule, until, except, ..
    } = &content.schedule
    {
        vevent.append_property(Property::new(
            "RRULE",
            rrule(rule, until.map(|until| until.date())),
        ));
        for day in except {
            vevent.append_multi_property(
                Property::new("EXDATE", local_stamp(*day, first.start))
                    .add_parameter("TZID", TIME_ZONE)
                    .done(),
            );
        }
    }
    Some(vevent.done())
}
