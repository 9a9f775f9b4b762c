//! `/staff/events/{id}/history`: every version of an event and the difference between any two,
//! field by field with the event editor's labels, its schedule and audience in words.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use kosodate_domain::{CalendarDate, MunicipalityCode, Vocabulary, japan};
use kosodate_places::{ClockTime, EventContent, Recurrence, Schedule, Venue};
use kosodate_registry::Visibility;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::events::show::audience_words;
use crate::pages::staff::versions::{Compare, RecordHistory, organisation_names, text};
use crate::pages::visitor::SignedInStaff;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// Who and where an event's versions name, by id.
struct Names {
    owners: HashMap<MunicipalityCode, String>,
    places: HashMap<Uuid, String>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Event>,
    ApiQuery(compare): ApiQuery<Compare>,
) -> Result<Response, ApiError> {
    let versions = state.places.event_history(&staff.identity, id).await?;
    let codes: Vec<MunicipalityCode> = versions.iter().map(|version| version.content.owner).collect();
    let mut places = HashMap::new();
    for version in &versions {
        if let Venue::Place { place_id } = version.content.venue
            && !places.contains_key(&place_id)
        {
            let name = match state.places.place(place_id, Visibility::Staff).await {
                Ok(place) => place.content.name,
                Err(kosodate_places::PlacesError::PlaceNotFound(_)) => place_id.to_string(),
                Err(error) => return Err(error.into()),
            };
            places.insert(place_id, name);
        }
    }
    let names = Names {
        owners: organisation_names(&state, &codes).await?,
        places,
    };
    let history = RecordHistory {
        versions: &versions,
        compare,
        section: "/staff/events",
        base: format!("/staff/events/{id}"),
        name: versions
            .last()
            .map(|version| version.content.title.clone())
            .unwrap_or_default(),
    };
    Ok(history
        .render(&state, &staff, |content| described(content, &names))
        .await)
}

/// Every field of an event in the editor's words, in the editor's order.
fn described(content: &EventContent, names: &Names) -> Vec<(&'static str, String)> {
    let date = |value: Option<CalendarDate>| {
        value
            .map(|date| japan::format_date_with_weekday(date.date()))
            .unwrap_or_default()
    };
    let sign_up = &content.sign_up;
    let number = |value: Option<u32>| value.map(|n| n.to_string()).unwrap_or_default();
    vec![
        (
            "実施する団体",
            names
                .owners
                .get(&content.owner)
                .cloned()
                .unwrap_or_else(|| content.owner.to_string()),
        ),
        ("種類", content.kind.label_ja().to_owned()),
        ("イベント名", content.title.clone()),
        ("よみがな", text(&content.reading)),
        ("内容", text(&content.description)),
        (
            "会場",
            match &content.venue {
                Venue::Place { place_id } => names
                    .places
                    .get(place_id)
                    .cloned()
                    .unwrap_or_else(|| place_id.to_string()),
                Venue::Text { text } => text.clone(),
            },
        ),
        ("日時", schedule_words(&content.schedule)),
        ("対象", audience_words(&content.audience).join("、")),
        ("定員", number(content.capacity)),
        ("申込方法", sign_up.method.label_ja().to_owned()),
        ("申込フォームのURL", text(&sign_up.url)),
        ("申込の電話番号", text(&sign_up.phone)),
        ("申込締切日", date(sign_up.deadline)),
        (
            "申込締切（開催日の何日前）",
            number(sign_up.deadline_days_before.map(u32::from)),
        ),
        ("申込の補足", text(&sign_up.note)),
        ("参加費", format!("{}円", content.fee.yen)),
        ("参加費の補足", text(&content.fee.note)),
        ("担当課", text(&content.contact.section)),
        ("電話番号", text(&content.contact.phone)),
        ("メールアドレス", text(&content.contact.email)),
        ("ライセンス", content.license.clone()),
    ]
}

/// 「毎月第2火曜日 10:00〜11:30（令和8年4月1日（水）から、休み：…）」.
fn schedule_words(schedule: &Schedule) -> String {
    let day = |date: &CalendarDate| japan::format_date_with_weekday(date.date());
    let times = |start: &ClockTime, end: &Option<ClockTime>| match end {
        Some(end) => format!("{start}〜{end}"),
        None => format!("{start}〜"),
    };
    match schedule {
        Schedule::Once { date, start, end } => format!("{} {}", day(date), times(start, end)),
        Schedule::Dates { dates, start, end } => format!(
            "{} {}",
            dates.iter().map(day).collect::<Vec<_>>().join("、"),
            times(start, end)
        ),
        Schedule::Recurring {
            rule,
            start,
            end,
            from,
            until,
            except,
        } => {
            let mut span = format!("{}から", day(from));
            if let Some(until) = until {
                span.push_str(&format!("{}まで", day(until)));
            }
            if !except.is_empty() {
                let days: Vec<String> = except.iter().map(day).collect();
                span.push_str(&format!("、休み：{}", days.join("、")));
            }
            format!("{} {}（{span}）", rule_words(rule), times(start, end))
        }
    }
}

fn rule_words(rule: &Recurrence) -> String {
    match rule {
        Recurrence::Weekly {
            weekdays,
            interval_weeks,
        } => {
            let days: Vec<&str> = weekdays.iter().map(|weekday| weekday.label_ja()).collect();
            match interval_weeks {
                1 => format!("毎週{}曜日", days.join("・")),
                2 => format!("隔週{}曜日", days.join("・")),
                weeks => format!("{weeks}週ごとの{}曜日", days.join("・")),
            }
        }
        Recurrence::MonthlyWeekday { nth: -1, weekday } => format!("毎月最終{}曜日", weekday.label_ja()),
        Recurrence::MonthlyWeekday { nth, weekday } => format!("毎月第{nth}{}曜日", weekday.label_ja()),
        Recurrence::MonthlyDay { day } => format!("毎月{day}日"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schedule(value: serde_json::Value) -> Schedule {
        serde_json::from_value(value).expect("schedule")
    }

    #[test]
    fn schedules_in_words() {
        assert_eq!(
            schedule_words(&schedule(json!({
                "kind": "recurring", "rule": {"every": "monthly_weekday", "nth": 2, "weekday": "tue"},
                "start": "10:00", "end": "11:30", "from": "2026-04-01", "except": ["2026-05-12"]
            }))),
            "毎月第2火曜日 10:00〜11:30（2026年4月1日（水）から、休み：2026年5月12日（火））"
        );
        assert_eq!(
            schedule_words(&schedule(json!({
                "kind": "recurring", "rule": {"every": "weekly", "weekdays": ["mon", "thu"], "interval_weeks": 2},
                "start": "13:30", "from": "2026-04-06", "until": "2027-03-29"
            }))),
            "隔週月・木曜日 13:30〜（2026年4月6日（月）から2027年3月29日（月）まで）"
        );
        assert_eq!(
            schedule_words(&schedule(
                json!({"kind": "once", "date": "2026-12-10", "start": "10:00"})
            )),
            "2026年12月10日（木） 10:00〜"
        );
    }
}
