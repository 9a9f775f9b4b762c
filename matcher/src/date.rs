//! Japanese child-rearing date arithmetic. Every rule predicate that depends on the reference date
//! is turned into a half-open date interval `[start, end)` by these functions, which is what makes
//! eligibility windows exact: the result of a rule can only change on an interval boundary.
//!
//! The legal basis: 年齢計算ニ関スル法律 and 民法 143 count age from the day of birth, so a person
//! reaches an age at the end of the day before the anniversary; in practice a child is N months old
//! from the same day N months later, or from the first day of the following month when that month
//! has no such day (31 January → 1 March; 29 February → 1 March in a common year). Schools use the
//! same rule, which is why children born on 1 April join the earlier grade (早生まれ).

use chrono::{Datelike, Days, NaiveDate};

/// The day a child born on `birth` becomes `months` months old.
pub fn month_anniversary(birth: NaiveDate, months: u32) -> NaiveDate {
    // Integer month arithmetic and one date construction: this runs for nearly every age
    // predicate of every evaluation, and chrono's `checked_add_months` (which clamps the day, the
    // opposite of what Japanese practice needs) costs several times more.
    let total = i64::from(birth.month0()) + i64::from(months);
    let Ok(year) = i32::try_from(i64::from(birth.year()) + total.div_euclid(12)) else {
        return NaiveDate::MAX;
    };
    let month = total.rem_euclid(12) as u32 + 1;
    if let Some(same_day) = NaiveDate::from_ymd_opt(year, month, birth.day()) {
        return same_day;
    }
    // The month has no such day: the child reaches the age on the first of the next month.
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1).unwrap_or(NaiveDate::MAX)
}

/// Completed months of age on `on`; negative before birth.
pub fn age_in_months(birth: NaiveDate, on: NaiveDate) -> i32 {
    let months = (on.year() - birth.year()) * 12 + on.month() as i32 - birth.month() as i32;
    // When `on` is earlier in its month than the birth day, this month's anniversary is either
    // later in the month or (month too short) the first of the next month: not reached yet.
    if on.day() < birth.day() {
        months - 1
    } else {
        months
    }
}

/// Completed years of age on `on`.
pub fn age_in_years(birth: NaiveDate, on: NaiveDate) -> i32 {
    age_in_months(birth, on).div_euclid(12)
}

/// Days since birth (0 on the day of birth).
pub fn age_in_days(birth: NaiveDate, on: NaiveDate) -> i64 {
    (on - birth).num_days()
}

/// The 年度 (fiscal and school year, April to March) containing `date`, named by its starting year.
pub fn fiscal_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// 1 April of fiscal year `year`, the first day of that 年度.
pub fn fiscal_year_start(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 4, 1).unwrap_or(if year < 0 { NaiveDate::MIN } else { NaiveDate::MAX })
}

/// The school cohort of a child: children born from 2 April of year `c` to 1 April of `c + 1`
/// share cohort `c`, because a child reaches each age on the day before the birthday.
pub fn school_cohort(birth: NaiveDate) -> i32 {
    fiscal_year(birth.pred_opt().unwrap_or(birth))
}

/// The school year a cohort is in during fiscal year `year`: 1–6 小学校, 7–9 中学校, 10–12 高校生年代,
/// 0 年長 (5歳児クラス), -1 年中, -2 年少, down to -5 for 0歳児クラス.
pub fn school_grade(cohort: i32, year: i32) -> i32 {
    year - cohort - 6
}

/// The first day of the fiscal year in which a cohort is in `grade`.
pub fn grade_start(cohort: i32, grade: i32) -> NaiveDate {
    fiscal_year_start(cohort + 6 + grade)
}

/// The day after "the first 31 March after the Nth birthday" (N歳到達後最初の3月31日), the end of
/// the half-open interval during which such a cap holds. A child born on 1 April reaches N on
/// 31 March, so the cap ends that very day.
pub fn march_31_after_age_end(birth: NaiveDate, age: u32) -> NaiveDate {
    fiscal_year_start(school_cohort(birth) + age as i32 + 1)
}

/// The day a child reaches `years` (満N歳に達する日): the end of the day before the birthday
/// counts, so it is the day before the anniversary (28 February for a child born on 29 February,
/// in a common year).
pub fn day_reaching_age(birth: NaiveDate, years: u32) -> NaiveDate {
    let anniversary = month_anniversary(birth, years.saturating_mul(12));
    anniversary.pred_opt().unwrap_or(anniversary)
}

/// The first day of the month after the one `date` lies in.
pub fn first_of_next_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MAX)
}

/// The first day of the month after the one in which the child reaches `years`: the day after
/// 満N歳に達する日の属する月の末日, where a month-end cap ends and a "from the following month"
/// bound begins.
pub fn month_after_reaching_age(birth: NaiveDate, years: u32) -> NaiveDate {
    first_of_next_month(day_reaching_age(birth, years))
}

/// Length of a pregnancy in days on the due date: 40 weeks and 0 days.
pub const TERM_DAYS: i64 = 280;

/// Completed weeks of pregnancy on `on`, counted back from the due date (40w0d on the due date).
pub fn pregnancy_weeks(due: NaiveDate, on: NaiveDate) -> i64 {
    (TERM_DAYS - (due - on).num_days()).div_euclid(7)
}

/// The day the pregnancy reaches `weeks` completed weeks.
pub fn pregnancy_week_start(due: NaiveDate, weeks: u32) -> NaiveDate {
    let days_before_due = TERM_DAYS - 7 * i64::from(weeks);
    if days_before_due >= 0 {
        due.checked_sub_days(Days::new(days_before_due as u64))
            .unwrap_or(NaiveDate::MIN)
    } else {
        due.checked_add_days(Days::new(days_before_due.unsigned_abs()))
            .unwrap_or(NaiveDate::MAX)
    }
}

/// `date + days`, saturating at the representable range.
pub fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn month_anniversaries_follow_japanese_practice() {
        let cases = [
            ("2024-01-15", 1, "2024-02-15"),
            ("2024-01-31", 1, "2024-03-01"),
            ("2025-01-31", 1, "2025-03-01"),
            ("2024-01-29", 1, "2024-02-29"),
            ("2025-01-29", 1, "2025-03-01"),
            ("2024-03-31", 1, "2024-05-01"),
            ("2024-03-31", 2, "2024-05-31"),
            ("2024-02-29", 12, "2025-03-01"),
            ("2024-02-29", 48, "2028-02-29"),
            ("2024-12-31", 2, "2025-03-01"),
        ];
        for (birth, months, expected) in cases {
            assert_eq!(
                month_anniversary(d(birth), months),
                d(expected),
                "{birth} + {months} months"
            );
        }
    }

    #[test]
    fn age_in_months_agrees_with_anniversaries() {
        for birth in [
            "2024-01-31",
            "2024-02-29",
            "2023-08-15",
            "2024-03-31",
            "2024-04-01",
        ] {
            let birth = d(birth);
            for months in 0..40 {
                let anniversary = month_anniversary(birth, months);
                assert_eq!(
                    age_in_months(birth, anniversary),
                    months as i32,
                    "{birth} {months}"
                );
                assert_eq!(
                    age_in_months(birth, anniversary.pred_opt().unwrap()),
                    months as i32 - 1
                );
            }
        }
    }

    #[test]
    fn leap_day_birthdays_advance_on_1_march_in_common_years() {
        let birth = d("2020-02-29");
        assert_eq!(age_in_years(birth, d("2021-02-28")), 0);
        assert_eq!(age_in_years(birth, d("2021-03-01")), 1);
        assert_eq!(age_in_years(birth, d("2024-02-29")), 4);
    }

    #[test]
    fn children_born_on_1_april_join_the_earlier_grade() {
        let april_1 = school_cohort(d("2019-04-01"));
        let april_2 = school_cohort(d("2019-04-02"));
        let march_31 = school_cohort(d("2020-03-31"));
        let next_april_1 = school_cohort(d("2020-04-01"));
        assert_eq!(april_1, 2018);
        assert_eq!(april_2, 2019);
        assert_eq!(march_31, 2019);
        assert_eq!(next_april_1, 2019);
        // Cohort 2019 enters elementary school in April 2026.
        assert_eq!(grade_start(2019, 1), d("2026-04-01"));
        assert_eq!(school_grade(2019, fiscal_year(d("2026-04-01"))), 1);
        assert_eq!(school_grade(2019, fiscal_year(d("2026-03-31"))), 0);
    }

    #[test]
    fn eighteenth_birthday_cap_ends_after_the_first_31_march() {
        assert_eq!(march_31_after_age_end(d("2008-04-01"), 18), d("2026-04-01"));
        assert_eq!(march_31_after_age_end(d("2008-04-02"), 18), d("2027-04-01"));
        assert_eq!(march_31_after_age_end(d("2009-03-31"), 18), d("2027-04-01"));
        assert_eq!(march_31_after_age_end(d("2008-02-29"), 18), d("2026-04-01"));
    }

    #[test]
    fn month_end_bounds_follow_the_day_the_age_is_reached() {
        let cases = [
            // born, reaches 3 on, the month after that day starts
            ("2020-04-01", "2023-03-31", "2023-04-01"),
            ("2020-04-02", "2023-04-01", "2023-05-01"),
            ("2020-05-01", "2023-04-30", "2023-05-01"),
            ("2020-02-29", "2023-02-28", "2023-03-01"),
            ("2021-03-01", "2024-02-29", "2024-03-01"),
            ("2020-12-31", "2023-12-30", "2024-01-01"),
            ("2021-01-01", "2023-12-31", "2024-01-01"),
        ];
        for (birth, reaches, next_month) in cases {
            assert_eq!(day_reaching_age(d(birth), 3), d(reaches), "{birth}");
            assert_eq!(month_after_reaching_age(d(birth), 3), d(next_month), "{birth}");
        }
    }

    #[test]
    fn pregnancy_weeks_count_back_from_the_due_date() {
        let due = d("2027-05-10");
        assert_eq!(pregnancy_weeks(due, due), 40);
        assert_eq!(pregnancy_weeks(due, d("2027-05-09")), 39);
        assert_eq!(
            pregnancy_week_start(due, 12),
            d("2027-05-10") - chrono::Days::new(196)
        );
        assert_eq!(pregnancy_weeks(due, pregnancy_week_start(due, 12)), 12);
        assert_eq!(
            pregnancy_weeks(due, pregnancy_week_start(due, 12).pred_opt().unwrap()),
            11
        );
        assert_eq!(pregnancy_week_start(due, 42), d("2027-05-24"));
    }
}
