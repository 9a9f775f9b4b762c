//! Places and events as staff enter them and as everyone reads them. Everything here is already
//! valid: only `input.rs` builds these from what people submit.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use kosodate_domain::{CalendarDate, MunicipalityCode};
use kosodate_registry::Contact;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::vocabulary::{EventKind, Facility, PlaceKind, SignUpMethod, Status, Weekday};

pub use kosodate_registry::DEFAULT_LICENSE;

/// A time of day to the minute, written `HH:MM` (24-hour clock, Japanese time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(NaiveTime);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid time: write HH:MM, e.g. 09:30")]
pub struct ClockTimeError;

impl ClockTime {
    /// `HH:MM` or `H:MM`, full-width digits and the colon too, as staff type them.
    pub fn parse(text: &str) -> Result<Self, ClockTimeError> {
        let text = kosodate_domain::japan::half_width(text.trim()).replace('：', ":");
        let (hour, minute) = text.split_once(':').ok_or(ClockTimeError)?;
        let digits = |part: &str, max: usize| {
            (!part.is_empty() && part.len() <= max && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        let (Some(hour), Some(minute)) = (digits(hour, 2), digits(minute, 2).filter(|_| minute.len() == 2))
        else {
            return Err(ClockTimeError);
        };
        NaiveTime::from_hms_opt(hour, minute, 0)
            .map(Self)
            .ok_or(ClockTimeError)
    }

    pub fn time(self) -> NaiveTime {
        self.0
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.format("%H:%M"))
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for ClockTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]{1,2}:[0-9]{2}$"))
            .description(Some("A time of day in Japan, HH:MM"))
            .examples(["09:30"])
            .into()
    }
}

impl utoipa::ToSchema for ClockTime {}

/// One weekday's opening hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayHours {
    pub weekday: Weekday,
    pub open: ClockTime,
    pub close: ClockTime,
    /// e.g. 「12:00〜13:00は昼休み」.
    #[serde(default)]
    pub note: Option<String>,
}

/// When a place is open: the weekdays it opens with their hours (a weekday not listed is closed),
/// and closed days in words (「祝日、年末年始（12/29〜1/3）」).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    #[serde(default)]
    pub days: Vec<DayHours>,
    #[serde(default)]
    pub closed_days: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The ages in months a place or event suits, either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthRange {
    #[serde(default)]
    pub from: Option<u16>,
    #[serde(default)]
    pub to: Option<u16>,
}

impl MonthRange {
    pub fn contains(&self, months: i32) -> bool {
        self.overlaps(&(months..=months))
    }

    /// Whether some age in `months` (both ends included) is in the range.
    pub fn overlaps(&self, months: &std::ops::RangeInclusive<i32>) -> bool {
        self.from.is_none_or(|from| *months.end() >= i32::from(from))
            && self.to.is_none_or(|to| *months.start() <= i32::from(to))
    }
}

/// A school year as the matcher counts them: 1–6 小学校, 7–9 中学校, 0 年長, -1 年中, -2 年少,
/// down to -5 for 0歳児クラス. Read as the number or its Japanese name (「小学1年」「年長」).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grade(pub i8);

pub const GRADE_MIN: i8 = -5;
pub const GRADE_MAX: i8 = 12;

impl Grade {
    pub fn parse(text: &str) -> Option<Self> {
        let text = kosodate_domain::japan::half_width(text.trim());
        let number = text
            .parse::<i64>()
            .ok()
            .or_else(|| kosodate_matcher::grade_number(&text))?;
        i8::try_from(number)
            .ok()
            .filter(|grade| (GRADE_MIN..=GRADE_MAX).contains(grade))
            .map(Self)
    }

    pub fn name_ja(self) -> String {
        kosodate_matcher::grade_name(i64::from(self.0))
    }
}

impl Serialize for Grade {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i8(self.0)
    }
}

impl<'de> Deserialize<'de> for Grade {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(i64),
            Name(String),
        }
        let grade = match Written::deserialize(deserializer)? {
            Written::Number(number) => i8::try_from(number)
                .ok()
                .filter(|grade| (GRADE_MIN..=GRADE_MAX).contains(grade))
                .map(Self),
            Written::Name(name) => Self::parse(&name),
        };
        grade.ok_or_else(|| {
            serde::de::Error::custom("unknown grade: write -5 to 12 or a name such as 小学1年")
        })
    }
}

impl utoipa::PartialSchema for Grade {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(GRADE_MIN))
            .maximum(Some(GRADE_MAX))
            .description(Some(
                "学年: 1–6 小学校, 7–9 中学校, 0 年長, -1 年中, -2 年少, -5 0歳児クラス",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Grade {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeRange {
    pub from: Grade,
    pub to: Grade,
}

/// Who an event is for: expecting parents, children of an age in months, children of a school
/// year. Any that is given suits; none given means everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub pregnancy: bool,
    #[serde(default)]
    pub age_months: Option<MonthRange>,
    #[serde(default)]
    pub grades: Option<GradeRange>,
    /// Who else, in words (「保護者の方もご一緒に」).
    #[serde(default)]
    pub note: Option<String>,
}

/// A child as an audience sees it: born on a date, or expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildDate {
    Born(NaiveDate),
    Due(NaiveDate),
}

/// When an event takes place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// Once, on one day.
    Once {
        date: CalendarDate,
        start: ClockTime,
        #[serde(default)]
        end: Option<ClockTime>,
    },
    /// On each of these days (年に数回の教室: the days a municipality announces for the year),
    /// at the same times.
    Dates {
        dates: Vec<CalendarDate>,
        start: ClockTime,
        #[serde(default)]
        end: Option<ClockTime>,
    },
    /// Repeating from `from` until `until` (open when absent), except on `except`.
    Recurring {
        rule: Recurrence,
        start: ClockTime,
        #[serde(default)]
        end: Option<ClockTime>,
        from: CalendarDate,
        #[serde(default)]
        until: Option<CalendarDate>,
        #[serde(default)]
        except: Vec<CalendarDate>,
    },
}

/// How a recurring event repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "every", rename_all = "snake_case", deny_unknown_fields)]
pub enum Recurrence {
    /// Every week on these weekdays; with `interval_weeks` 2, every other week (隔週), counted
    /// from the week of the schedule's first day.
    Weekly {
        weekdays: Vec<Weekday>,
        #[serde(default = "every_week", skip_serializing_if = "is_every_week")]
        #[schema(minimum = 1, maximum = 4, default = 1)]
        interval_weeks: u8,
    },
    /// Every month on the n-th such weekday (1 to 5; -1 the last): 第2火曜日.
    MonthlyWeekday { nth: i8, weekday: Weekday },
    /// Every month on this day (a month without it has none): 毎月15日.
    MonthlyDay { day: u8 },
}

fn every_week() -> u8 {
    1
}

fn is_every_week(interval: &u8) -> bool {
    *interval == 1
}

/// One day an event takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub struct Occurrence {
    pub date: CalendarDate,
    pub start: ClockTime,
    pub end: Option<ClockTime>,
}

/// How to sign up, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUp {
    pub method: SignUpMethod,
    /// The form, for `web`.
    #[serde(default)]
    pub url: Option<String>,
    /// The number to call, for `phone` (the contact's otherwise).
    #[serde(default)]
    pub phone: Option<String>,
    /// The last day to sign up, for a one-off event.
    #[serde(default)]
    pub deadline: Option<CalendarDate>,
    /// For a recurring event: sign up at the latest so many days before each day.
    #[serde(default)]
    pub deadline_days_before: Option<u16>,
    #[serde(default)]
    pub note: Option<String>,
}

impl Default for SignUp {
    fn default() -> Self {
        Self {
            method: SignUpMethod::None,
            url: None,
            phone: None,
            deadline: None,
            deadline_days_before: None,
            note: None,
        }
    }
}

/// What it costs: `yen` 0 is free.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    #[serde(default)]
    pub yen: u32,
    /// e.g. 「材料費として」.
    #[serde(default)]
    pub note: Option<String>,
}

/// A place's validated content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlaceContent {
    /// The prefecture or the municipality that provides it.
    #[schema(value_type = String, example = "022012")]
    pub owner: MunicipalityCode,
    pub kind: PlaceKind,
    pub name: String,
    /// The name in かな.
    pub reading: Option<String>,
    pub address: String,
    /// 7 digits written 030-0801.
    pub postal_code: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub phone: Option<String>,
    pub url: Option<String>,
    pub opening_hours: OpeningHours,
    pub age_months: Option<MonthRange>,
    pub facilities: Vec<Facility>,
    pub description: Option<String>,
    pub license: String,
}

/// A place as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Place {
    pub id: Uuid,
    #[serde(flatten)]
    pub content: PlaceContent,
    pub status: Status,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was last published; none while it has never been, so that withdrawing a draft
    /// is nobody's news outside the registry.
    pub published_at: Option<DateTime<Utc>>,
}

/// Where an event is held: a place in the registry, or a venue in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Venue {
    Place { place_id: Uuid },
    Text { text: String },
}

/// An event's validated content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventContent {
    #[schema(value_type = String, example = "022012")]
    pub owner: MunicipalityCode,
    pub kind: EventKind,
    pub title: String,
    pub reading: Option<String>,
    pub description: Option<String>,
    pub venue: Venue,
    pub schedule: Schedule,
    pub audience: Audience,
    /// How many can come (組 or 人, as the description says); none: no limit.
    pub capacity: Option<u32>,
    pub sign_up: SignUp,
    pub fee: Fee,
    pub contact: Contact,
    pub license: String,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Event {
    pub id: Uuid,
    #[serde(flatten)]
    pub content: EventContent,
    pub status: Status,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was last published; none while it has never been, so that withdrawing a draft
    /// is nobody's news outside the registry.
    pub published_at: Option<DateTime<Utc>>,
}
