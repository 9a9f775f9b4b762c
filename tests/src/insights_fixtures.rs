//! A synthetic fortnight of searches for the evidence tests: written into the search log as the
//! search page writes it (one row per search, the searcher's pseudonym beside it), then rolled up
//! by the insights crate itself, so that the pages read real roll-ups. Counts fall on both sides
//! of 10: big cities above, villages below, one planted rising term (病児保育: 10 people the week
//! before last, 30 people twice each last week), steady terms, a zero-result query (病後児預かり,
//! 12 people each week) and a term fewer than 10 people used (めずらしい病名, 3 people five
//! times each). Each person searches on one day, as the search log's daily pseudonym sees people.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use kosodate_domain::{MunicipalityCode, japan};
use kosodate_insights::{Insights, SETTLE};
use kosodate_search::MatchMode;
use kosodate_search::log::{SearchLogEntry, record};

use crate::TestApp;

/// The planted rising term, the zero-result query and the term too few people used.
pub const RISING_TERM: &str = "病児保育";
pub const ZERO_RESULT_QUERY: &str = "病後児預かり";
pub const RARE_TERM: &str = "めずらしい病名";

/// Searches of one query in one week.
struct Searches {
    weeks_ago: u64,
    query: &'static str,
    municipality: &'static str,
    people: u64,
    each: u64,
    results: usize,
}

// One line a row reads as a table.
#[rustfmt::skip]
const FORTNIGHT: [Searches; 13] = [
    Searches { weeks_ago: 2, query: RISING_TERM, municipality: "022012", people: 10, each: 1, results: 3 },
    Searches { weeks_ago: 1, query: RISING_TERM, municipality: "022012", people: 30, each: 2, results: 3 },
    Searches { weeks_ago: 2, query: "児童手当", municipality: "022021", people: 20, each: 2, results: 5 },
    Searches { weeks_ago: 1, query: "児童手当", municipality: "022021", people: 20, each: 2, results: 5 },
    Searches { weeks_ago: 2, query: "保育園", municipality: "022039", people: 15, each: 2, results: 8 },
    Searches { weeks_ago: 1, query: "保育園", municipality: "022039", people: 15, each: 2, results: 8 },
    Searches { weeks_ago: 1, query: "児童手当", municipality: "023621", people: 4, each: 1, results: 5 },
    Searches { weeks_ago: 1, query: RARE_TERM, municipality: "023434", people: 3, each: 5, results: 1 },
    Searches { weeks_ago: 2, query: ZERO_RESULT_QUERY, municipality: "024261", people: 12, each: 1, results: 0 },
    Searches { weeks_ago: 1, query: ZERO_RESULT_QUERY, municipality: "024261", people: 12, each: 1, results: 0 },
    Searches { weeks_ago: 2, query: "保育園", municipality: "024252", people: 2, each: 1, results: 8 },
    Searches { weeks_ago: 1, query: "児童手当", municipality: "022047", people: 6, each: 2, results: 5 },
    Searches { weeks_ago: 1, query: "保育園", municipality: "022101", people: 11, each: 1, results: 8 },
];

/// The Monday of the week before this one: the week the terms pages show by default.
pub fn last_week() -> NaiveDate {
    let today = japan::date_of(Utc::now());
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    monday - Days::new(7)
}

/// Writes the fortnight into the search log and rolls it up; returns last week's Monday.
pub async fn seed_fortnight_of_searches(app: &TestApp) -> NaiveDate {
    let last_week = last_week();
    let mut entries = Vec::new();
    let mut person = 0u64;
    for (index, searches) in FORTNIGHT.iter().enumerate() {
        let monday = last_week - Days::new(7 * (searches.weeks_ago - 1));
        for _ in 0..searches.people {
            person += 1;
            for use_index in 0..searches.each {
                // A person searches on one day (Tuesday to Saturday): the pseudonym is a day's.
                let day = monday + Days::new(1 + person % 5);
                let hour = 9 + u32::try_from((index as u64 + use_index) % 10).unwrap_or(0);
                entries.push(entry(searches, at(day, hour), person));
            }
        }
    }
    record(&app.db, &entries)
        .await
        .expect("the search log takes the fortnight");
    // Past the settling, so that in Japan's first ten minutes of a Monday last week is complete.
    Insights::new(app.db.clone())
        .roll_up(Utc::now() + SETTLE)
        .await
        .expect("the fortnight rolls up");
    last_week
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    japan::at(day, NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default())
}

fn entry(searches: &Searches, at: DateTime<Utc>, person: u64) -> SearchLogEntry {
    SearchLogEntry {
        id: uuid::Uuid::now_v7(),
        searched_hour: at,
        query: Some(searches.query.to_owned()),
        municipality: MunicipalityCode::parse(searches.municipality).ok(),
        filters: serde_json::json!({"categories": [], "child_age_months": null, "open_now": false}),
        result_count: searches.results,
        mode: match searches.results {
            0 => MatchMode::SomeWords,
            _ => MatchMode::AllWords,
        },
        searcher: Some(format!("{person:016x}")),
    }
}
