//! The pure rules of places and events: validation with every error's pointer, the days a
//! schedule falls on, and whom an audience suits under the matcher's date law.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::NaiveDate;
use kosodate_places::{
    Audience, ChildDate, ClockTime, EventContent, EventInput, Facility, Grade, GradeRange, MonthRange,
    PlaceInput, Schedule, Venue,
};
use serde_json::{Value, json};

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn place(value: Value) -> PlaceInput {
    serde_json::from_value(value).unwrap()
}

fn event(value: Value) -> EventInput {
    serde_json::from_value(value).unwrap()
}

fn valid_place() -> Value {
    json!({
        "owner": "022012",
        "kind": "子育て支援センター",
        "name": " 青森市子育て支援センター ",
        "reading": "あおもりしこそだてしえんせんたー",
        "address": "青森市中央一丁目1-1",
        "postal_code": "０３０－０８０１",
        "phone": "０１７－７３４－１１１１",
        "opening_hours": {"days": [
            {"weekday": "tue", "open": "9:00", "close": "17:00"},
            {"weekday": "月曜日", "open": "09:00", "close": "17:00", "note": "12時から13時は昼休み"}
        ], "closed_days": "祝日、年末年始"},
        "age_months": {"from": 0, "to": 72},
        "facilities": ["おむつ替え", "nursing_room", "授乳室"]
    })
}

fn valid_event() -> Value {
    json!({
        "owner": "022012",
        "kind": "離乳食教室",
        "title": "もぐもぐ離乳食教室",
        "venue": "青森市保健所 2階",
        "schedule": {"kind": "recurring", "rule": {"every": "monthly_weekday", "nth": 2, "weekday": "tue"},
                     "start": "10:00", "end": "11:30", "from": "2026-04-01", "until": "2027-03-31",
                     "except": ["2026-08-11"]},
        "audience": {"age_months": {"from": 5, "to": 8}},
        "capacity": 20,
        "sign_up": {"method": "phone", "deadline_days_before": 3},
        "contact": {"section": "青森市保健所", "phone": "017-743-6111"}
    })
}

#[test]
fn a_valid_place_is_normalised() {
    let content = place(valid_place()).validate().unwrap();
    assert_eq!(content.owner.to_string(), "022012");
    assert_eq!(content.name, "青森市子育て支援センター");
    assert_eq!(content.postal_code.as_deref(), Some("030-0801"));
    assert_eq!(content.phone.as_deref(), Some("017-734-1111"));
    assert_eq!(
        content.facilities,
        [Facility::NursingRoom, Facility::DiaperChanging]
    );
    let weekdays: Vec<_> = content.opening_hours.days.iter().map(|day| day.weekday).collect();
    assert_eq!(
        weekdays,
        [kosodate_places::Weekday::Mon, kosodate_places::Weekday::Tue]
    );
    assert_eq!(
        content.opening_hours.days[0].open,
        ClockTime::parse("09:00").unwrap()
    );
    assert_eq!(content.license, kosodate_places::DEFAULT_LICENSE);
}

#[test]
fn every_place_error_is_reported_with_its_pointer() {
    let mut value = valid_place();
    value["owner"] = json!("022013");
    value["name"] = json!("");
    value["reading"] = json!("Aomori");
    value["postal_code"] = json!("030-080");
    value["latitude"] = json!(40.8);
    value["phone"] = json!("734-1111");
    value["url"] = json!("ftp://example.jp");
    value["opening_hours"]["days"][0]["close"] = json!("08:00");
    value["age_months"] = json!({"from": 12, "to": 6});
    value["license"] = json!("CC BY");
    let errors = place(value).validate().unwrap_err().0;
    let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/owner",
            "/name",
            "/reading",
            "/postal_code",
            "/longitude",
            "/phone",
            "/url",
            "/opening_hours/days/0/close",
            "/age_months/to",
            "/license"
        ]
    );
    assert!(
        errors
            .iter()
            .all(|error| !error.detail.is_empty() && !error.detail_en.is_empty())
    );
}

#[test]
fn times_are_read_as_staff_type_them() {
    assert_eq!(ClockTime::parse("９：３０").unwrap().to_string(), "09:30");
    for wrong in ["24:00", "9:3", "930", "09:60", "", "-1:00"] {
        assert!(ClockTime::parse(wrong).is_err(), "{wrong}");
    }
}

#[test]
fn a_valid_event_and_its_errors() {
    let content: EventContent = event(valid_event()).validate().unwrap();
    assert_eq!(
        content.venue,
        Venue::Text {
            text: "青森市保健所 2階".into()
        }
    );
    let mut value = valid_event();
    value["place_id"] = json!("0193a5b2-7c1e-7000-8000-000000000001");
    value["schedule"]["end"] = json!("09:00");
    value["schedule"]["until"] = json!("2026-03-01");
    value["schedule"]["rule"]["nth"] = json!(6);
    value["audience"]["grades"] = json!({"from": "小学3年", "to": "小学1年"});
    value["capacity"] = json!(0);
    value["sign_up"] = json!({"method": "web", "deadline": "2026-04-01"});
    value["fee"] = json!({"yen": 2_000_000});
    let errors = event(value).validate().unwrap_err().0;
    let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/venue",
            "/schedule/end",
            "/schedule/rule/nth",
            "/schedule/until",
            "/audience/grades/to",
            "/capacity",
            "/sign_up/url",
            "/sign_up/deadline",
            "/fee/yen"
        ]
    );
}

#[test]
fn an_event_needs_a_venue_and_a_once_deadline_before_the_day() {
    let mut value = valid_event();
    value.as_object_mut().unwrap().remove("venue");
    value["schedule"] = json!({"kind": "once", "date": "2026-12-10", "start": "10:00"});
    value["sign_up"] = json!({"method": "counter", "deadline": "2026-12-11"});
    let errors = event(value).validate().unwrap_err().0;
    let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/place_id", "/sign_up/deadline"]);
}

fn schedule(value: Value) -> Schedule {
    serde_json::from_value(value).unwrap()
}

fn dates(schedule: &Schedule, from: &str, to: &str) -> Vec<String> {
    schedule
        .occurrences_between(day(from), day(to))
        .into_iter()
        .map(|occurrence| occurrence.date.to_string())
        .collect()
}

#[test]
fn weekly_schedules_skip_excluded_days_and_stop_at_until() {
    let weekly = schedule(
        json!({"kind": "recurring", "rule": {"every": "weekly", "weekdays": ["mon", "thu"]},
        "start": "10:00", "from": "2026-12-01", "until": "2026-12-17", "except": ["2026-12-10"]}),
    );
    assert_eq!(
        dates(&weekly, "2026-11-01", "2027-01-31"),
        ["2026-12-03", "2026-12-07", "2026-12-14", "2026-12-17"]
    );
    assert_eq!(dates(&weekly, "2026-12-08", "2026-12-09"), Vec::<String>::new());
}

#[test]
fn every_other_week_counts_from_the_week_of_the_first_day() {
    // 2026-12-02 is a Wednesday: its week and every second week after it, whatever the window.
    let every_other = schedule(
        json!({"kind": "recurring", "rule": {"every": "weekly", "weekdays": ["mon", "wed"], "interval_weeks": 2},
        "start": "10:00", "from": "2026-12-02", "except": ["2026-12-28"]}),
    );
    assert_eq!(
        dates(&every_other, "2026-11-01", "2027-01-13"),
        [
            "2026-12-02",
            "2026-12-14",
            "2026-12-16",
            "2026-12-30",
            "2027-01-11",
            "2027-01-13"
        ]
    );
    assert_eq!(
        dates(&every_other, "2026-12-21", "2026-12-27"),
        Vec::<String>::new(),
        "an off week"
    );
    let mut value = valid_event();
    value["schedule"]["rule"] = json!({"every": "weekly", "weekdays": ["wed"], "interval_weeks": 5});
    let errors = event(value).validate().unwrap_err().0;
    assert_eq!(errors[0].pointer, "/schedule/rule/interval_weeks");
    // Every week is what a rule without an interval says, and what it is written back as.
    let weekly = schedule(
        json!({"kind": "recurring", "rule": {"every": "weekly", "weekdays": ["wed"]},
        "start": "10:00", "from": "2026-12-02"}),
    );
    assert_eq!(dates(&weekly, "2026-12-01", "2026-12-16").len(), 3);
    assert!(!serde_json::to_string(&weekly).unwrap().contains("interval"));
}

#[test]
fn listed_days_are_kept_in_order_once_each() {
    let mut value = valid_event();
    value["schedule"] = json!({"kind": "dates", "dates": ["2026-09-08", "2026-06-09", "2026-09-08"],
        "start": "13:30", "end": "15:00"});
    value["sign_up"] = json!({"method": "counter", "deadline_days_before": 7});
    let content = event(value.clone()).validate().unwrap();
    assert_eq!(
        dates(&content.schedule, "2026-01-01", "2026-12-31"),
        ["2026-06-09", "2026-09-08"]
    );
    assert_eq!(
        dates(&content.schedule, "2026-07-01", "2026-08-31"),
        Vec::<String>::new()
    );
    value["schedule"]["dates"] = json!([]);
    value["sign_up"] = json!({"method": "counter", "deadline": "2026-06-01"});
    let errors = event(value).validate().unwrap_err().0;
    let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/schedule/dates", "/sign_up/deadline"]);
}

#[test]
fn monthly_schedules_by_nth_weekday_last_weekday_and_day() {
    let second_tuesday = schedule(json!({"kind": "recurring",
        "rule": {"every": "monthly_weekday", "nth": 2, "weekday": "tue"}, "start": "10:00", "from": "2026-01-01"}));
    assert_eq!(
        dates(&second_tuesday, "2026-01-01", "2026-03-31"),
        ["2026-01-13", "2026-02-10", "2026-03-10"]
    );
    let last_friday = schedule(json!({"kind": "recurring",
        "rule": {"every": "monthly_weekday", "nth": -1, "weekday": "fri"}, "start": "10:00", "from": "2026-01-01"}));
    assert_eq!(
        dates(&last_friday, "2026-01-01", "2026-03-31"),
        ["2026-01-30", "2026-02-27", "2026-03-27"]
    );
    let day_31 = schedule(
        json!({"kind": "recurring", "rule": {"every": "monthly_day", "day": 31},
        "start": "10:00", "from": "2026-01-01"}),
    );
    assert_eq!(
        dates(&day_31, "2026-01-01", "2026-05-31"),
        ["2026-01-31", "2026-03-31", "2026-05-31"]
    );
    let once = schedule(json!({"kind": "once", "date": "2026-12-10", "start": "10:00", "end": "11:00"}));
    assert_eq!(dates(&once, "2026-12-10", "2026-12-10"), ["2026-12-10"]);
    assert_eq!(dates(&once, "2026-12-11", "2026-12-31"), Vec::<String>::new());
}

#[test]
fn an_open_ended_schedule_is_expanded_at_most_three_years() {
    let daily = schedule(json!({"kind": "recurring",
        "rule": {"every": "weekly", "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
        "start": "10:00", "from": "2026-01-01"}));
    let days = daily.occurrences_between(day("2026-01-01"), day("2200-12-31"));
    assert_eq!(days.len() as i64, kosodate_places::MAX_SPAN_DAYS + 1);
}

#[test]
fn ages_in_months_follow_the_anniversary_rule() {
    let weaning = Audience {
        age_months: Some(MonthRange {
            from: Some(5),
            to: Some(6),
        }),
        ..Audience::default()
    };
    // Born 31 October: five months old on 31 March, not on 30 March.
    let born = ChildDate::Born(day("2025-10-31"));
    assert!(!weaning.suits(born, day("2026-03-30")));
    assert!(weaning.suits(born, day("2026-03-31")));
    // Seven months old from 1 June (31 May exists), so no longer suited then.
    assert!(weaning.suits(born, day("2026-05-30")));
    assert!(!weaning.suits(born, day("2026-05-31")));
    // Before the birth only a pregnancy audience suits.
    assert!(!weaning.suits(ChildDate::Due(day("2026-08-01")), day("2026-03-31")));
    // 「0歳」 on the search page is any month from 0 to 11; 「1歳」 from 12 to 23.
    assert!(weaning.suits_some_age_in_months(&(0..=11)));
    assert!(weaning.suits_some_age_in_months(&(6..=17)));
    assert!(!weaning.suits_some_age_in_months(&(12..=23)));
    assert!(!weaning.suits_some_age_in_months(&(0..=4)));
}

#[test]
fn school_years_put_children_born_on_1_april_in_the_earlier_year() {
    let first_graders = Audience {
        grades: Some(GradeRange {
            from: Grade(1),
            to: Grade(1),
        }),
        ..Audience::default()
    };
    // Born 1 April 2019: 小学1年 from April 2025 (早生まれ); born 2 April 2019: a year later.
    assert!(first_graders.suits(ChildDate::Born(day("2019-04-01")), day("2025-04-10")));
    assert!(!first_graders.suits(ChildDate::Born(day("2019-04-02")), day("2025-04-10")));
    assert!(first_graders.suits(ChildDate::Born(day("2019-04-02")), day("2026-04-10")));
    assert_eq!(Grade::parse("小学1年"), Some(Grade(1)));
    assert_eq!(Grade::parse("年長"), Some(Grade(0)));
    assert_eq!(Grade(-1).name_ja(), "年中");
}

#[test]
fn pregnancy_and_everyone() {
    let parents_class = Audience {
        pregnancy: true,
        ..Audience::default()
    };
    assert!(parents_class.suits(ChildDate::Due(day("2026-08-01")), day("2026-03-31")));
    assert!(!parents_class.suits(ChildDate::Born(day("2026-01-01")), day("2026-03-31")));
    let everyone = Audience::default();
    assert!(everyone.suits(ChildDate::Born(day("2010-01-01")), day("2026-03-31")));
    assert!(everyone.suits_age_in_months(200));
    assert!(!parents_class.suits_age_in_months(3));
}
