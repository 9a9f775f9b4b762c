//! What a parent (or counter staff for a resident) enters about a household, and its validation:
//! every wrong field is reported at once, by JSON pointer, in Japanese and English.

use chrono::{Days, NaiveDate, NaiveTime};
use kosodate_domain::{CalendarDate, MunicipalityCode};
use kosodate_matcher::{Birth, Child, Childcare, Household, IncomeBand};
use kosodate_registry::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};

/// The most children one household may list; more is a typing mistake, not a family.
const MAX_CHILDREN: usize = 15;
const MAX_NICKNAME_CHARS: usize = 20;
/// Children are supported until the end of their 22nd year at the latest (大学等就学中の支援).
const OLDEST_CHILD_YEARS: u64 = 23;
/// A due date this far back is a birth not yet recorded; further back is a mistake.
const DUE_DATE_PAST_DAYS: u64 = 60;
/// About 43 weeks ahead: the earliest a pregnancy is registered (母子健康手帳) and more.
const DUE_DATE_FUTURE_DAYS: u64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdInput {
    /// 全国地方公共団体コード of the municipality the household lives in.
    #[schema(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality_code: String,
    #[serde(default)]
    pub children: Vec<ChildInput>,
    /// `null` (or absent) means "not shared".
    #[serde(default)]
    pub single_parent: Option<bool>,
    #[serde(default)]
    pub income_band: Option<IncomeBand>,
    #[serde(default)]
    pub preferences: Option<Preferences>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildInput {
    /// Optional, for the parent's own reading ("上の子"); no names are required.
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub birth_date: Option<CalendarDate>,
    #[serde(default)]
    pub due_date: Option<CalendarDate>,
    #[serde(default)]
    pub disability_certificate: Option<bool>,
    #[serde(default)]
    pub childcare: Option<Childcare>,
}

/// How a household wants to be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    /// No notice goes out between `quiet_from` and `quiet_until` (Asia/Tokyo), "HH:MM".
    #[serde(default = "default_quiet_from")]
    pub quiet_from: String,
    #[serde(default = "default_quiet_until")]
    pub quiet_until: String,
    /// Several notices of one day as one message.
    #[serde(default = "default_digest")]
    pub daily_digest: bool,
    /// Once a week, the events that suit the children (off until the parent asks for it).
    #[serde(default)]
    pub weekly_events: bool,
}

fn default_quiet_from() -> String {
    "21:00".to_owned()
}

fn default_quiet_until() -> String {
    "08:00".to_owned()
}

fn default_digest() -> bool {
    true
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            quiet_from: default_quiet_from(),
            quiet_until: default_quiet_until(),
            daily_digest: default_digest(),
            weekly_events: false,
        }
    }
}

/// A validated household: what the matcher reads, and what only people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidHousehold {
    pub household: Household,
    /// One per child, in the matcher's (birth) order.
    pub nicknames: Vec<Option<String>>,
    pub preferences: Preferences,
}

impl HouseholdInput {
    /// Checks everything against `today`. Children are put in birth order, the order the matcher
    /// numbers them in when it asks about "the 2nd child".
    pub fn validate(self, today: NaiveDate) -> Result<ValidHousehold, ValidationErrors> {
        let mut errors = Vec::new();
        let municipality = MunicipalityCode::parse(&self.municipality_code)
            .map_err(|_| {
                errors.push(FieldError::new(
                    "/municipality_code",
                    "市町村を選んでください（地方公共団体コード6桁）",
                    "choose a municipality (6-digit local government code)",
                ))
            })
            .ok();
        if self.children.len() > MAX_CHILDREN {
            errors.push(FieldError::new(
                "/children",
                format!("お子さんは{MAX_CHILDREN}人まで登録できます"),
                format!("at most {MAX_CHILDREN} children"),
            ));
        }
        let mut children = Vec::new();
        for (index, child) in self.children.into_iter().enumerate() {
            if let Some(valid) = child.validate(index, today, &mut errors) {
                children.push(valid);
            }
        }
        let preferences = self.preferences.unwrap_or_default();
        for (field, value) in [
            ("quiet_from", &preferences.quiet_from),
            ("quiet_until", &preferences.quiet_until),
        ] {
            if NaiveTime::parse_from_str(value, "%H:%M").is_err() {
                errors.push(FieldError::new(
                    format!("/preferences/{field}"),
                    "時刻は 21:00 のように「時:分」で入力してください",
                    "a time is HH:MM, e.g. 21:00",
                ));
            }
        }
        let Some(municipality) = municipality.filter(|_| errors.is_empty()) else {
            return Err(ValidationErrors(errors));
        };
        children.sort_by_key(|(child, _): &(Child, Option<String>)| child.birth.date());
        let (children, nicknames) = children.into_iter().unzip();
        Ok(ValidHousehold {
            household: Household {
                municipality,
                children,
                single_parent: self.single_parent,
                income_band: self.income_band,
            },
            nicknames,
            preferences,
        })
    }
}

impl ChildInput {
    fn validate(
        self,
        index: usize,
        today: NaiveDate,
        errors: &mut Vec<FieldError>,
    ) -> Option<(Child, Option<String>)> {
        let pointer = |field: &str| format!("/children/{index}/{field}");
        let before = errors.len();
        let nickname = self
            .nickname
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        // One line of text: no control character (PostgreSQL refuses U+0000), no line break.
        if nickname
            .as_ref()
            .is_some_and(|name| name.contains(char::is_control))
        {
            errors.push(FieldError::new(
                pointer("nickname"),
                "呼び名に制御文字や改行は入力できません",
                "a nickname holds no control characters or line breaks",
            ));
        } else if nickname
            .as_ref()
            .is_some_and(|name| name.chars().count() > MAX_NICKNAME_CHARS)
        {
            errors.push(FieldError::new(
                pointer("nickname"),
                format!("呼び名は{MAX_NICKNAME_CHARS}文字以内で入力してください"),
                format!("a nickname has at most {MAX_NICKNAME_CHARS} characters"),
            ));
        }
        let birth = match (self.birth_date, self.due_date) {
            (Some(date), None) => check_birth_date(date.date(), today, &pointer("birth_date"), errors),
            (None, Some(date)) => check_due_date(date.date(), today, &pointer("due_date"), errors),
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    pointer("due_date"),
                    "生まれたお子さんは生年月日だけを入力してください（出産予定日は不要です）",
                    "give either the birth date or the due date, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(FieldError::new(
                    pointer("birth_date"),
                    "生年月日（生まれる前のお子さんは出産予定日）を入力してください",
                    "a birth date (or, before the birth, a due date) is required",
                ));
                None
            }
        };
        let birth = birth.filter(|_| errors.len() == before)?;
        Some((
            Child {
                birth,
                disability_certificate: self.disability_certificate,
                childcare: self.childcare,
            },
            nickname,
        ))
    }
}

fn check_birth_date(
    date: NaiveDate,
    today: NaiveDate,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Birth> {
    let oldest = today.checked_sub_days(Days::new(OLDEST_CHILD_YEARS * 366))?;
    if date > today {
        errors.push(FieldError::new(
            pointer,
            "生年月日が未来の日付です。生まれる前のお子さんは出産予定日として入力してください",
            "the birth date is in the future; give a due date for an expected child",
        ));
        return None;
    }
    if date < oldest {
        errors.push(FieldError::new(
            pointer,
            format!("{OLDEST_CHILD_YEARS}歳以上のお子さんは対象となる制度がないため登録できません"),
            format!("children aged {OLDEST_CHILD_YEARS} or more cannot be registered"),
        ));
        return None;
    }
    Some(Birth::BirthDate(date))
}

fn check_due_date(
    date: NaiveDate,
    today: NaiveDate,
    pointer: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Birth> {
    let earliest = today.checked_sub_days(Days::new(DUE_DATE_PAST_DAYS))?;
    let latest = today.checked_add_days(Days::new(DUE_DATE_FUTURE_DAYS))?;
    if date < earliest || date > latest {
        errors.push(FieldError::new(
            pointer,
            format!(
                "出産予定日は{earliest}から{latest}までの日付で入力してください。生まれたお子さんは生年月日を入力してください"
            ),
            format!("a due date lies between {earliest} and {latest}; give the birth date of a born child"),
        ));
        return None;
    }
    Some(Birth::DueDate(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn input(children: Vec<ChildInput>) -> HouseholdInput {
        HouseholdInput {
            municipality_code: "022012".into(),
            children,
            single_parent: None,
            income_band: None,
            preferences: None,
        }
    }

    fn child(birth: Option<&str>, due: Option<&str>) -> ChildInput {
        ChildInput {
            nickname: None,
            birth_date: birth.map(|text| CalendarDate::parse(text).unwrap()),
            due_date: due.map(|text| CalendarDate::parse(text).unwrap()),
            disability_certificate: None,
            childcare: None,
        }
    }

    #[test]
    fn children_come_out_in_birth_order_with_their_nicknames() {
        let mut younger = child(Some("2025-06-01"), None);
        younger.nickname = Some(" 下の子 ".into());
        let valid = input(vec![younger, child(Some("2021-04-02"), None)])
            .validate(date("2026-11-22"))
            .unwrap();
        assert_eq!(
            valid.household.children[0].birth,
            Birth::BirthDate(date("2021-04-02"))
        );
        assert_eq!(valid.nicknames, vec![None, Some("下の子".to_owned())]);
        assert_eq!(valid.preferences, Preferences::default());
    }

    #[test]
    fn a_nickname_with_a_control_character_is_refused() {
        for nickname in ["上の\u{0}子", "上の\n子", "\u{1b}[31m上"] {
            let mut older = child(Some("2021-04-02"), None);
            older.nickname = Some(nickname.into());
            let errors = input(vec![older]).validate(date("2026-11-22")).unwrap_err().0;
            assert_eq!(errors[0].pointer, "/children/0/nickname", "{nickname:?}");
        }
    }

    #[test]
    fn every_wrong_field_is_reported_with_its_pointer() {
        let mut household = input(vec![
            child(Some("2027-01-01"), None),
            child(None, None),
            child(Some("2020-01-01"), Some("2027-01-01")),
            child(None, Some("2028-06-01")),
        ]);
        household.municipality_code = "999999".into();
        household.preferences = Some(Preferences {
            quiet_from: "25:00".into(),
            ..Preferences::default()
        });
        let errors = household.validate(date("2026-11-22")).unwrap_err().0;
        let pointers: Vec<&str> = errors.iter().map(|error| error.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/municipality_code",
                "/children/0/birth_date",
                "/children/1/birth_date",
                "/children/2/due_date",
                "/children/3/due_date",
                "/preferences/quiet_from"
            ]
        );
    }
}
