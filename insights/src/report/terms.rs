//! Top and rising terms of a week, from the weekly term roll-ups: only terms at least
//! [`MIN_CELL`] distinct people used are named, and rising is decided by the exact conditional
//! test under Benjamini–Hochberg control (`significance.rs`), with each week's number of texts
//! as exposure.

use chrono::{Days, NaiveDate};
use kosodate_domain::{Vocabulary, japan};
use sea_orm::DatabaseConnection;

use crate::disclosure::{TermUse, publishable_terms};
use crate::model::{Source, TermReport};
use crate::rollup::TOTAL_TERM;
use crate::significance::{TermWeeks, WeekVolumes, rising_terms};
use crate::{InsightsError, MIN_CELL, sql};

struct WeekTerm {
    term: String,
    uses: u64,
    people: u64,
    last_week_uses: u64,
}

pub(crate) async fn terms(
    db: &DatabaseConnection,
    source: Source,
    week_starting: NaiveDate,
    limit: usize,
) -> Result<TermReport, InsightsError> {
    let week = japan::week_starting(week_starting);
    let rows = sql::query(
        db,
        "SELECT t.term, t.uses, t.people, COALESCE(l.uses, 0) AS last_week_uses \
         FROM insights_terms_weekly t LEFT JOIN insights_terms_weekly l \
         ON l.week = $3 AND l.source = t.source AND l.term = t.term \
         WHERE t.week = $1 AND t.source = $2 AND (t.people >= $4 OR t.term = '')",
        vec![
            week.into(),
            source.id().into(),
            (week - Days::new(7)).into(),
            (MIN_CELL as i64).into(),
        ],
    )
    .await?;
    let mut terms = rows
        .iter()
        .map(|row| {
            Ok(WeekTerm {
                term: row.try_get("", "term")?,
                uses: sql::count(row, "uses")?,
                people: sql::count(row, "people")?,
                last_week_uses: sql::count(row, "last_week_uses")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    let total = terms
        .iter()
        .position(|term| term.term == TOTAL_TERM)
        .map(|at| terms.remove(at));
    let volumes = WeekVolumes {
        this_week: total.as_ref().map_or(0, |total| total.uses),
        last_week: total.as_ref().map_or(0, |total| total.last_week_uses),
    };
    let mut rising = rising_terms(
        terms
            .iter()
            .filter(|term| term.people >= MIN_CELL)
            .map(|term| TermWeeks {
                term: term.term.clone(),
                this_week: term.uses,
                last_week: term.last_week_uses,
            })
            .collect(),
        volumes,
    );
    rising.truncate(limit);
    let mut top = publishable_terms(terms.into_iter().map(|term| TermUse {
        term: term.term,
        uses: term.uses,
        people: term.people,
    }));
    top.truncate(limit);
    Ok(TermReport {
        week_starting: week,
        top,
        rising,
    })
}
