//! Roll-ups: raw rows become counts once, whichever process gets there first. Each (kind,
//! period) is claimed by inserting its row into `insights_rollups` in the transaction that
//! writes its counts: on PostgreSQL a second process's claim waits on the primary key and then
//! finds it taken, on SQLite writers take turns (`begin_write`); either way a period is counted
//! once. Raw rows are read before the transaction, so that the writer holds its turn only to
//! write. A period is rolled up once it is [`SETTLE`] old, so that search-log batches still in
//! flight are in.

mod questions;
mod searches;
mod weekly;

use std::collections::HashSet;

use chrono::{DateTime, Days, DurationRound, Months, NaiveDate, TimeDelta, Utc};
use kosodate_community::Community;
use kosodate_database::begin_write;
use kosodate_domain::{Vocabulary, japan};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Value};

use crate::model::{RollUpReport, Source};
use crate::terms::TermAnalyzer;
use crate::{InsightsError, MIN_CELL, sql};

pub(crate) use searches::raw_searches;
pub(crate) use weekly::TOTAL_TERM;

/// How long after a period ends it is rolled up.
pub const SETTLE: TimeDelta = TimeDelta::minutes(10);
/// Hours looked at by each roll-up: enough to catch up after a day's outage; older hours are
/// covered by their day's roll-up.
const HOURS_BACK: i64 = 48;
/// Raw rows are kept this long, then only roll-ups.
pub const RETENTION: Months = Months::new(13);
/// Terms fewer than [`MIN_CELL`] people used are kept only while a later week may compare with
/// them (the rising test), then forgotten.
const RARE_TERMS_WEEKS: u64 = 2;

const SEARCH_HOUR: &str = "search_hour";
const SEARCH_DAY: &str = "search_day";
const SEARCH_WEEK: &str = "search_week";
const QUESTION_DAY: &str = "question_day";
const QUESTION_WEEK: &str = "question_week";

/// What a roll-up reads from and with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sources<'a> {
    pub db: &'a DatabaseConnection,
    pub community: &'a Community,
    pub analyzer: &'a TermAnalyzer,
}

pub(crate) async fn roll_up(sources: Sources<'_>, now: DateTime<Utc>) -> Result<RollUpReport, InsightsError> {
    let db = sources.db;
    let settled = now - SETTLE;
    let settled_day = japan::date_of(settled);
    let mut report = RollUpReport {
        hours: search_hours(db, settled, now).await?,
        ..RollUpReport::default()
    };
    if let Some(first_day) = first_raw_day(db).await? {
        let done_days = done(db, SEARCH_DAY, &first_day.to_string()).await?;
        for day in first_day.iter_days().take_while(|day| *day < settled_day) {
            if done_days.contains(&day.to_string()) {
                continue;
            }
            if search_day(db, day, now).await? {
                report.days += 1;
            }
        }
        // After the days: a week's key goes only once all its days are counted.
        let (weeks, keys_deleted) = weeks(
            sources,
            Source::Searches,
            (japan::week_starting(first_day), settled_day),
            now,
        )
        .await?;
        report.weeks += weeks;
        report.keys_deleted += keys_deleted;
    }
    // The community keeps its questions: the roll-ups look back as far as a report can.
    let first_question_day = settled_day - Days::new(crate::MAX_PERIOD_DAYS as u64);
    report.question_days = question_days(sources, (first_question_day, settled_day), now).await?;
    let first_question_week = japan::week_starting(first_question_day);
    (report.question_weeks, _) = weeks(
        sources,
        Source::Questions,
        (first_question_week, settled_day),
        now,
    )
    .await?;
    let rare_before = japan::week_starting(settled_day) - Days::new(7 * RARE_TERMS_WEEKS);
    let forget_rare = "DELETE FROM insights_terms_weekly WHERE week < $1 AND people < $2 AND term <> ''";
    write(
        db,
        vec![(forget_rare, vec![rare_before.into(), (MIN_CELL as i64).into()])],
    )
    .await?;
    Ok(report)
}

/// Every settled hour of the last [`HOURS_BACK`] not rolled up yet.
async fn search_hours(
    db: &DatabaseConnection,
    settled: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let last_hour = settled.duration_trunc(TimeDelta::hours(1)).unwrap_or(settled);
    let first_hour = last_hour - TimeDelta::hours(HOURS_BACK);
    let done_hours = done(db, SEARCH_HOUR, &period_of_hour(first_hour)).await?;
    let mut hours = 0;
    let mut hour = first_hour;
    while hour < last_hour {
        if !done_hours.contains(&period_of_hour(hour)) && search_hour(db, hour, now).await? {
            hours += 1;
        }
        hour += TimeDelta::hours(1);
    }
    Ok(hours)
}

/// Each question day in `[first, settled)`, again every day while its answers may still come
/// (its period names the day it was rolled up as of), then once more for good.
async fn question_days(
    sources: Sources<'_>,
    (first, settled): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> Result<u64, InsightsError> {
    let done_days = done(sources.db, QUESTION_DAY, &first.to_string()).await?;
    let mut days = 0;
    for day in first.iter_days().take_while(|day| *day < settled) {
        let as_of = settled.min(day + Days::new(questions::ANSWERS_SETTLE_DAYS));
        let period = format!("{day}/{as_of}");
        if done_days.contains(&period) {
            continue;
        }
        let facts = sources
            .community
            .questions_created_between(japan::start_of(day), japan::start_of(day + Days::new(1)))
            .await?;
        let replace = vec![
            (
                "DELETE FROM insights_question_daily WHERE day = $1",
                vec![day.into()],
            ),
            (
                "DELETE FROM insights_question_answers WHERE day = $1",
                vec![day.into()],
            ),
        ];
        let inserts = vec![
            (
                "insights_question_daily",
                &questions::VOLUME_COLUMNS[..],
                questions::volumes(day, &facts),
            ),
            (
                "insights_question_answers",
                &questions::ANSWER_COLUMNS[..],
                questions::answers(day, &facts),
            ),
        ];
        if write_once(sources.db, (QUESTION_DAY, &period), now, replace, inserts)
            .await?
            .is_some()
        {
            days += 1;
        }
    }
    Ok(days)
}

fn period_of_hour(hour: DateTime<Utc>) -> String {
    hour.format("%Y-%m-%dT%H:%MZ").to_string()
}

/// The periods of `kind` already rolled up, from `from` on (periods sort as text).
async fn done(db: &DatabaseConnection, kind: &str, from: &str) -> Result<HashSet<String>, DbErr> {
    let rows = sql::query(
        db,
        "SELECT period FROM insights_rollups WHERE kind = $1 AND period >= $2",
        vec![kind.into(), from.into()],
    )
    .await?;
    rows.iter().map(|row| row.try_get("", "period")).collect()
}

async fn first_raw_day(db: &DatabaseConnection) -> Result<Option<NaiveDate>, DbErr> {
    let rows = sql::query(
        db,
        "SELECT MIN(searched_hour) AS first FROM search_log",
        Vec::new(),
    )
    .await?;
    let first: Option<DateTime<Utc>> = match rows.first() {
        Some(row) => row.try_get("", "first")?,
        None => None,
    };
    Ok(first.map(japan::date_of))
}

/// Claims (kind, period) in `transaction`: `false` when another roll-up has it.
async fn claim(
    transaction: &impl ConnectionTrait,
    kind: &str,
    period: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let claimed = sql::execute(
        transaction,
        "INSERT INTO insights_rollups (kind, period, done_at) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, period) DO NOTHING",
        vec![kind.into(), period.into(), now.into()],
    )
    .await?;
    Ok(claimed == 1)
}

/// A statement and its values.
type Sql<'a> = (&'a str, Vec<Value>);
/// Rows for a table: its name, its columns, a value per column per row.
type Insert<'a> = (&'a str, &'a [&'a str], Vec<Vec<Value>>);

/// Writes `rows` for (kind, period) unless another roll-up did, after `first` (deleting what an
/// earlier roll-up of a running period wrote, forgetting a week's key). `None` when another
/// roll-up had it; else the rows each statement of `first` touched.
async fn write_once(
    db: &DatabaseConnection,
    (kind, period): (&str, &str),
    now: DateTime<Utc>,
    first: Vec<Sql<'_>>,
    inserts: Vec<Insert<'_>>,
) -> Result<Option<Vec<u64>>, DbErr> {
    let transaction = begin_write(db).await?;
    if !claim(&transaction, kind, period, now).await? {
        transaction.rollback().await?;
        return Ok(None);
    }
    let mut touched = Vec::new();
    for (statement, values) in first {
        touched.push(sql::execute(&transaction, statement, values).await?);
    }
    for (table, columns, rows) in inserts {
        sql::insert_rows(&transaction, table, columns, rows).await?;
    }
    transaction.commit().await?;
    Ok(Some(touched))
}

/// Runs `statements` in one write transaction; the rows they touched.
async fn write(db: &DatabaseConnection, statements: Vec<Sql<'_>>) -> Result<u64, DbErr> {
    let transaction = begin_write(db).await?;
    let mut touched = 0;
    for (statement, values) in statements {
        touched += sql::execute(&transaction, statement, values).await?;
    }
    transaction.commit().await?;
    Ok(touched)
}

async fn search_hour(
    db: &DatabaseConnection,
    hour: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let raw = raw_searches(db, hour, hour + TimeDelta::hours(1)).await?;
    let rows = with_period(&hour.into(), searches::volumes(&raw));
    let columns = columns_with("hour", &searches::VOLUME_COLUMNS);
    let period = period_of_hour(hour);
    let written = write_once(
        db,
        (SEARCH_HOUR, &period),
        now,
        Vec::new(),
        vec![("insights_search_hourly", &columns, rows)],
    )
    .await?;
    Ok(written.is_some())
}

/// The day's volumes; `false` when another roll-up had it.
async fn search_day(db: &DatabaseConnection, day: NaiveDate, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let raw = raw_searches(db, japan::start_of(day), japan::start_of(day + Days::new(1))).await?;
    let rows = with_period(&day.into(), searches::volumes(&raw));
    let columns = columns_with("day", &searches::VOLUME_COLUMNS);
    let period = day.to_string();
    let written = write_once(
        db,
        (SEARCH_DAY, &period),
        now,
        Vec::new(),
        vec![("insights_search_daily", &columns, rows)],
    )
    .await?;
    Ok(written.is_some())
}

fn with_period(period: &Value, rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.into_iter()
        .map(|row| std::iter::once(period.clone()).chain(row).collect())
        .collect()
}

fn columns_with<'a>(first: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    std::iter::once(first).chain(rest.iter().copied()).collect()
}

/// Terms (and for searches whole queries) of each week in `[first_week, settled_day)`: a
/// complete week once, the running week once a day (its complete days), replacing the day
/// before's. The weeks rolled up and the pseudonym keys deleted.
async fn weeks(
    sources: Sources<'_>,
    source: Source,
    (first_week, settled_day): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> Result<(u64, u64), InsightsError> {
    let kind = match source {
        Source::Searches => SEARCH_WEEK,
        Source::Questions => QUESTION_WEEK,
    };
    let done_weeks = done(sources.db, kind, &first_week.to_string()).await?;
    let (mut weeks, mut keys_deleted) = (0, 0);
    let mut week = first_week;
    while week < settled_day {
        let end = (week + Days::new(7)).min(settled_day);
        let period = match end == week + Days::new(7) {
            true => week.to_string(),
            false => format!("{week}/{end}"),
        };
        if !done_weeks.contains(&period)
            && let Some(keys) = one_week(sources, source, (week, end), (kind, &period), now).await?
        {
            weeks += 1;
            keys_deleted += keys;
        }
        week = week + Days::new(7);
    }
    Ok((weeks, keys_deleted))
}

async fn one_week(
    sources: Sources<'_>,
    source: Source,
    (week, end): (NaiveDate, NaiveDate),
    claim: (&str, &str),
    now: DateTime<Utc>,
) -> Result<Option<u64>, InsightsError> {
    let (from, until) = (japan::start_of(week), japan::start_of(end));
    let (terms, queries, searchers) = match source {
        Source::Searches => {
            let raw = raw_searches(sources.db, from, until).await?;
            let texts = weekly::search_texts(&raw);
            (
                weekly::term_rows(week, source, &texts, sources.analyzer),
                Some(weekly::query_rows(week, &raw)),
                weekly::searchers_row(week, &raw),
            )
        }
        Source::Questions => {
            let facts = sources.community.questions_created_between(from, until).await?;
            let texts = weekly::question_texts(week, &facts, sources.analyzer);
            (
                weekly::term_rows(week, source, &texts, sources.analyzer),
                None,
                Vec::new(),
            )
        }
    };
    let mut replace = vec![(
        "DELETE FROM insights_terms_weekly WHERE week = $1 AND source = $2",
        vec![week.into(), source.id().into()],
    )];
    let mut inserts = vec![("insights_terms_weekly", &weekly::TERM_COLUMNS[..], terms)];
    if let Some(queries) = queries {
        replace.push((
            "DELETE FROM insights_queries_weekly WHERE week = $1",
            vec![week.into()],
        ));
        inserts.push(("insights_queries_weekly", &weekly::QUERY_COLUMNS[..], queries));
    }
    // The complete week's search roll-up is the last to read its pseudonyms: its key (and any
    // older one) goes in the same transaction, so that it is never gone before it was used.
    // Only a complete week's searchers are written, so that the open data never publishes (and
    // spends budget on) a week still counting.
    let forgets_keys = source == Source::Searches && end == week + Days::new(7);
    if forgets_keys {
        inserts.push((
            "insights_search_weekly",
            &weekly::SEARCHER_COLUMNS[..],
            vec![searchers],
        ));
        replace.push((FORGET_KEYS_BEFORE, vec![end.into()]));
    }
    let touched = write_once(sources.db, claim, now, replace, inserts).await?;
    Ok(touched.map(|touched| match forgets_keys {
        true => touched.last().copied().unwrap_or(0),
        false => 0,
    }))
}

/// Forgets the pseudonym keys of every week starting before `$1`: their pseudonyms can no longer
/// be recomputed.
const FORGET_KEYS_BEFORE: &str = "DELETE FROM insights_weekly_keys WHERE week < $1";

/// Deletes raw search-log rows and their clicks older than [`RETENTION`], but never a day not
/// yet rolled up.
pub(crate) async fn forget_raw_before(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let today = japan::date_of(now);
    let Some(mut cutoff) = today.checked_sub_months(RETENTION) else {
        return Ok(0);
    };
    if let Some(first_day) = first_raw_day(db).await? {
        let done_days = done(db, SEARCH_DAY, &first_day.to_string()).await?;
        if let Some(missing) = first_day
            .iter_days()
            .take_while(|day| *day < cutoff)
            .find(|day| !done_days.contains(&day.to_string()))
        {
            cutoff = missing;
        }
    }
    let before: Value = japan::start_of(cutoff).into();
    write(
        db,
        vec![
            (
                "DELETE FROM search_clicks WHERE clicked_hour < $1 \
                 OR search_id IN (SELECT id FROM search_log WHERE searched_hour < $1)",
                vec![before.clone()],
            ),
            ("DELETE FROM search_log WHERE searched_hour < $1", vec![before]),
        ],
    )
    .await
}
