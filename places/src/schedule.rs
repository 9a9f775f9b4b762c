//! The days a schedule falls on, and who an audience suits. Pure: the dates are inputs.

use std::ops::RangeInclusive;

use chrono::{Datelike, Days, NaiveDate};
use kosodate_domain::{CalendarDate, japan};
use kosodate_matcher::date::{age_in_months, fiscal_year, school_cohort, school_grade};

use crate::model::{Audience, ChildDate, Event, Occurrence, Recurrence, Schedule};
use crate::vocabulary::Weekday;

/// Expanding further than this at once is a caller's mistake (a feed asks for a year or two).
pub const MAX_SPAN_DAYS: i64 = 3 * 366;

impl Event {
    /// The days from `from` to `to` (both included) the event takes place, in order; at most
    /// [`MAX_SPAN_DAYS`] days are looked at from `from`.
    pub fn occurrences_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<Occurrence> {
        self.content.schedule.occurrences_between(from, to)
    }
}

impl Schedule {
    pub fn occurrences_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<Occurrence> {
        let to = to.min(
            from.checked_add_days(Days::new(MAX_SPAN_DAYS as u64))
                .unwrap_or(to),
        );
        match self {
            Self::Once { date, start, end } => {
                let day = date.date();
                match (from..=to).contains(&day) {
                    true => vec![Occurrence {
                        date: *date,
                        start: *start,
                        end: *end,
                    }],
                    false => Vec::new(),
                }
            }
            Self::Dates { dates, start, end } => dates
                .iter()
                .filter(|date| (from..=to).contains(&date.date()))
                .map(|date| Occurrence {
                    date: *date,
                    start: *start,
                    end: *end,
                })
                .collect(),
            Self::Recurring {
                rule,
                start,
                end,
                from: first,
                until,
                except,
            } => {
                let first_day = from.max(first.date());
                let last_day = until.map_or(to, |until| to.min(until.date()));
                first_day
                    .iter_days()
                    .take_while(|day| *day <= last_day)
                    .filter(|day| rule.falls_on(*day, first.date()))
                    .filter_map(|day| CalendarDate::try_from(day).ok())
                    .filter(|date| !except.contains(date))
                    .map(|date| Occurrence {
                        date,
                        start: *start,
                        end: *end,
                    })
                    .collect()
            }
        }
    }
}

impl Recurrence {
    /// Whether the rule falls on `day`, for a schedule that starts on `first`.
    pub fn falls_on(&self, day: NaiveDate, first: NaiveDate) -> bool {
        match self {
            Self::Weekly {
                weekdays,
                interval_weeks,
            } => {
                let weeks_since_first = (japan::week_starting(day) - japan::week_starting(first)).num_weeks();
                weekdays.contains(&Weekday::of(day))
                    && weeks_since_first.rem_euclid(i64::from((*interval_weeks).max(1))) == 0
            }
            Self::MonthlyDay { day: wanted } => day.day() == u32::from(*wanted),
            Self::MonthlyWeekday { nth, weekday } => {
                if Weekday::of(day) != *weekday {
                    return false;
                }
                match nth {
                    -1 => day
                        .checked_add_days(Days::new(7))
                        .is_none_or(|next| next.month() != day.month()),
                    nth => i64::from(day.day0() / 7) + 1 == i64::from(*nth),
                }
            }
        }
    }
}

impl Audience {
    /// Whether the event suits this child on `on`: by months of age, by school year (the matcher's
    /// law: ages reached the day before the birthday, 早生まれ in the earlier year), or, before
    /// the birth, by pregnancy. An audience that names nobody suits everybody.
    pub fn suits(&self, child: ChildDate, on: NaiveDate) -> bool {
        if !self.names_someone() {
            return true;
        }
        let birth = match child {
            ChildDate::Due(due) if due > on => return self.pregnancy,
            ChildDate::Born(birth) if birth > on => return self.pregnancy,
            ChildDate::Due(date) | ChildDate::Born(date) => date,
        };
        let by_months = self
            .age_months
            .is_some_and(|range| range.contains(age_in_months(birth, on)));
        let by_grade = self.grades.is_some_and(|grades| {
            let grade = school_grade(school_cohort(birth), fiscal_year(on));
            (i32::from(grades.from.0)..=i32::from(grades.to.0)).contains(&grade)
        });
        by_months || by_grade
    }

    /// Whether the event is meant for some children or parents (pregnancy, an age, a school
    /// year) rather than for everybody.
    pub fn names_someone(&self) -> bool {
        self.pregnancy || self.age_months.is_some() || self.grades.is_some()
    }

    /// Whether a child of `months` completed months suits the age-in-months part; events with
    /// no such part (school years only, pregnancy only) do not.
    pub fn suits_age_in_months(&self, months: i32) -> bool {
        self.suits_some_age_in_months(&(months..=months))
    }

    /// Whether a child of some age in `months` (completed months, both ends included) suits the
    /// age-in-months part: a parent who says 「2歳」 means any month from 24 to 35.
    pub fn suits_some_age_in_months(&self, months: &RangeInclusive<i32>) -> bool {
        match (&self.age_months, self.grades, self.pregnancy) {
            (None, None, false) => true,
            (Some(range), _, _) => range.overlaps(months),
            _ => false,
        }
    }
}

impl From<kosodate_matcher::Birth> for ChildDate {
    fn from(birth: kosodate_matcher::Birth) -> Self {
        match birth {
            kosodate_matcher::Birth::BirthDate(date) => Self::Born(date),
            kosodate_matcher::Birth::DueDate(date) => Self::Due(date),
        }
    }
}

impl ChildDate {
    /// The date the audience counts from.
    pub fn date(self) -> NaiveDate {
        match self {
            Self::Born(date) | Self::Due(date) => date,
        }
    }
}
