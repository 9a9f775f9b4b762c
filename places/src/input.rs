//! What staff submit for a place or an event, checked once: every problem at once, each with
//! the JSON pointer of its field and a message in Japanese and English, the way the registry
//! checks a program (and with the registry's own field checks, so that a name, a URL or a phone
//! number is judged the same everywhere).

use std::collections::BTreeSet;

use kosodate_domain::{CalendarDate, MunicipalityCode};
use kosodate_registry::TextSize::{One, Several};
use kosodate_registry::{
    Contact, FieldError, optional_text, optional_url, required_text, valid_phone, validate_contact,
    validate_license,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{
    Audience, ClockTime, EventContent, Fee, MonthRange, OpeningHours, PlaceContent, Recurrence, Schedule,
    SignUp, Venue,
};
use crate::vocabulary::{EventKind, Facility, PlaceKind, SignUpMethod};

const NAME_MAX: usize = 200;
const LINE_MAX: usize = 500;
const LONG_TEXT_MAX: usize = 20_000;
/// 20 years: nothing for children goes further.
const MONTHS_MAX: u16 = 240;
const FEE_MAX_YEN: u32 = 1_000_000;
const CAPACITY_MAX: u32 = 100_000;
const EXCEPT_MAX: usize = 366;
const DEADLINE_DAYS_MAX: u16 = 365;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{} {}", e.pointer, e.detail_en)).collect::<Vec<_>>().join("; "))]
pub struct InputErrors(pub Vec<FieldError>);

/// A place as staff submit it (the API, the editor, every import format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceInput {
    /// The 6-digit code of the municipality, or of the prefecture, that provides the place.
    #[schema(example = "022012")]
    pub owner: String,
    pub kind: PlaceKind,
    #[schema(example = "青森市子育て支援センター")]
    pub name: String,
    /// The name in かな.
    #[serde(default)]
    pub reading: Option<String>,
    pub address: String,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub opening_hours: OpeningHours,
    #[serde(default)]
    pub age_months: Option<MonthRange>,
    #[serde(default)]
    pub facilities: Vec<Facility>,
    #[serde(default)]
    pub description: Option<String>,
    /// The licence's URL; CC BY 4.0 when absent.
    #[serde(default)]
    pub license: Option<String>,
}

/// An event as staff submit it. The venue is a place (`place_id`) or words (`venue`), not both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[schema(example = "022012")]
    pub owner: String,
    pub kind: EventKind,
    #[schema(example = "もぐもぐ離乳食教室")]
    pub title: String,
    #[serde(default)]
    pub reading: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub place_id: Option<Uuid>,
    #[serde(default)]
    pub venue: Option<String>,
    pub schedule: Schedule,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub sign_up: SignUp,
    #[serde(default)]
    pub fee: Fee,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default)]
    pub license: Option<String>,
}

fn problem(
    errors: &mut Vec<FieldError>,
    pointer: &str,
    detail: impl Into<String>,
    detail_en: impl Into<String>,
) {
    errors.push(FieldError::new(pointer, detail, detail_en));
}

impl PlaceInput {
    pub fn validate(&self) -> Result<PlaceContent, InputErrors> {
        let mut errors = Vec::new();
        let owner = owner(&mut errors, &self.owner);
        let name = required_text(&mut errors, "/name", "名称", &self.name, One(NAME_MAX));
        let reading = reading(&mut errors, self.reading.as_deref());
        let address = required_text(&mut errors, "/address", "住所", &self.address, One(LINE_MAX));
        let postal_code = postal_code(&mut errors, self.postal_code.as_deref());
        coordinates(&mut errors, self.latitude, self.longitude);
        let phone = phone(&mut errors, "/phone", self.phone.as_deref());
        let url = optional_url(&mut errors, "/url", self.url.as_deref());
        let opening_hours = opening_hours(&mut errors, &self.opening_hours);
        let age_months = self
            .age_months
            .inspect(|range| months(&mut errors, "/age_months", range));
        let description = optional_text(
            &mut errors,
            "/description",
            "説明",
            self.description.as_deref(),
            Several(LONG_TEXT_MAX),
        );
        let license = validate_license(&mut errors, self.license.as_deref());
        let (Some(owner), true) = (owner, errors.is_empty()) else {
            return Err(InputErrors(errors));
        };
        Ok(PlaceContent {
            owner,
            kind: self.kind,
            name,
            reading,
            address,
            postal_code,
            latitude: self.latitude,
            longitude: self.longitude,
            phone,
            url,
            opening_hours,
            age_months,
            // Sorted and de-duplicated so that reordering the same set is not a change.
            facilities: self
                .facilities
                .iter()
                .copied()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            description,
            license,
        })
    }
}

impl EventInput {
    pub fn validate(&self) -> Result<EventContent, InputErrors> {
        let mut errors = Vec::new();
        let owner = owner(&mut errors, &self.owner);
        let title = required_text(&mut errors, "/title", "タイトル", &self.title, One(NAME_MAX));
        let reading = reading(&mut errors, self.reading.as_deref());
        let description = optional_text(
            &mut errors,
            "/description",
            "説明",
            self.description.as_deref(),
            Several(LONG_TEXT_MAX),
        );
        let venue = venue(&mut errors, self.place_id, self.venue.as_deref());
        let schedule = schedule(&mut errors, &self.schedule);
        let audience = audience(&mut errors, &self.audience);
        if self
            .capacity
            .is_some_and(|capacity| capacity == 0 || capacity > CAPACITY_MAX)
        {
            problem(
                &mut errors,
                "/capacity",
                format!("定員は1から{CAPACITY_MAX}の間で入力してください（定員なしのときは空欄）"),
                format!("capacity must be 1 to {CAPACITY_MAX}, or absent"),
            );
        }
        let sign_up = sign_up(&mut errors, &self.sign_up, &self.schedule);
        let fee = fee(&mut errors, &self.fee);
        let contact = validate_contact(&mut errors, &self.contact);
        let license = validate_license(&mut errors, self.license.as_deref());
        let (Some(owner), Some(venue), true) = (owner, venue, errors.is_empty()) else {
            return Err(InputErrors(errors));
        };
        Ok(EventContent {
            owner,
            kind: self.kind,
            title,
            reading,
            description,
            venue,
            schedule,
            audience,
            capacity: self.capacity,
            sign_up,
            fee,
            contact,
            license,
        })
    }
}

fn owner(errors: &mut Vec<FieldError>, owner: &str) -> Option<MunicipalityCode> {
    MunicipalityCode::parse(owner.trim())
        .inspect_err(|error| problem(errors, "/owner", error.message_ja(), error.to_string()))
        .ok()
}

/// かな only: the reading is what lists sort and search by.
fn reading(errors: &mut Vec<FieldError>, value: Option<&str>) -> Option<String> {
    let reading = optional_text(errors, "/reading", "よみがな", value, One(NAME_MAX))?;
    let kana = |c: char| matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | 'ー' | '・' | ' ' | '　' | 'ゝ' | 'ゞ' | 'ヽ' | 'ヾ');
    if !reading.chars().all(kana) {
        problem(
            errors,
            "/reading",
            "よみがなは、ひらがなかカタカナで入力してください",
            "the reading must be written in kana",
        );
    }
    Some(reading)
}

fn postal_code(errors: &mut Vec<FieldError>, value: Option<&str>) -> Option<String> {
    let written = value.map(|text| kosodate_domain::japan::half_width(text.trim()))?;
    let digits: String = written.chars().filter(char::is_ascii_digit).collect();
    let shaped = written
        .trim_start_matches('〒')
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-');
    if written.is_empty() {
        return None;
    }
    if !shaped || digits.len() != 7 {
        problem(
            errors,
            "/postal_code",
            "郵便番号は7桁の数字で入力してください（例: 030-0801）",
            "the postal code must be 7 digits, e.g. 030-0801",
        );
        return None;
    }
    Some(format!("{}-{}", &digits[..3], &digits[3..]))
}

/// Both or neither, and in Japan: a point elsewhere is a typing error.
fn coordinates(errors: &mut Vec<FieldError>, latitude: Option<f64>, longitude: Option<f64>) {
    match (latitude, longitude) {
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => problem(
            errors,
            if latitude.is_none() {
                "/latitude"
            } else {
                "/longitude"
            },
            "緯度と経度は両方入力するか、両方空欄にしてください",
            "give both latitude and longitude, or neither",
        ),
        (Some(latitude), Some(longitude)) => {
            if !(20.0..=46.0).contains(&latitude) {
                problem(
                    errors,
                    "/latitude",
                    "緯度が日本の範囲にありません",
                    "latitude outside Japan",
                );
            }
            if !(122.0..=154.0).contains(&longitude) {
                problem(
                    errors,
                    "/longitude",
                    "経度が日本の範囲にありません",
                    "longitude outside Japan",
                );
            }
        }
    }
}

fn phone(errors: &mut Vec<FieldError>, pointer: &str, value: Option<&str>) -> Option<String> {
    let phone = kosodate_domain::japan::half_width(value?.trim());
    if phone.is_empty() {
        return None;
    }
    if !valid_phone(&phone) {
        problem(
            errors,
            pointer,
            format!("電話番号の形式が正しくありません（例: 017-734-1111）: {phone}"),
            format!("invalid phone number {phone:?}"),
        );
        return None;
    }
    Some(phone)
}

fn opening_hours(errors: &mut Vec<FieldError>, hours: &OpeningHours) -> OpeningHours {
    let mut days = hours.days.clone();
    for (index, day) in hours.days.iter().enumerate() {
        if day.close <= day.open {
            problem(
                errors,
                &format!("/opening_hours/days/{index}/close"),
                "閉館時刻は開館時刻より後にしてください",
                "closing time must be after opening time",
            );
        }
        days[index].note = optional_text(
            errors,
            &format!("/opening_hours/days/{index}/note"),
            "備考",
            day.note.as_deref(),
            One(LINE_MAX),
        );
    }
    days.sort_by_key(|day| (day.weekday, day.open));
    OpeningHours {
        days,
        closed_days: optional_text(
            errors,
            "/opening_hours/closed_days",
            "休館日",
            hours.closed_days.as_deref(),
            Several(LINE_MAX),
        ),
        note: optional_text(
            errors,
            "/opening_hours/note",
            "備考",
            hours.note.as_deref(),
            Several(LINE_MAX),
        ),
    }
}

fn months(errors: &mut Vec<FieldError>, pointer: &str, range: &MonthRange) {
    if range.from.zip(range.to).is_some_and(|(from, to)| from > to) {
        problem(
            errors,
            &format!("{pointer}/to"),
            "対象月齢の終わりは始まり以上にしてください",
            "the upper age must not be below the lower",
        );
    }
    if range
        .from
        .into_iter()
        .chain(range.to)
        .any(|months| months > MONTHS_MAX)
    {
        problem(
            errors,
            pointer,
            format!("月齢は0から{MONTHS_MAX}か月の間で入力してください"),
            format!("ages in months must be 0 to {MONTHS_MAX}"),
        );
    }
}

fn venue(errors: &mut Vec<FieldError>, place_id: Option<Uuid>, text: Option<&str>) -> Option<Venue> {
    let text = optional_text(errors, "/venue", "会場", text, One(LINE_MAX));
    match (place_id, text) {
        (Some(place_id), None) => Some(Venue::Place { place_id }),
        (None, Some(text)) => Some(Venue::Text { text }),
        (None, None) => {
            problem(
                errors,
                "/place_id",
                "会場を施設から選ぶか、会場名を入力してください",
                "give a place_id or a venue",
            );
            None
        }
        (Some(_), Some(_)) => {
            problem(
                errors,
                "/venue",
                "会場は施設を選ぶか会場名を入力するか、どちらか一つにしてください",
                "give a place_id or a venue, not both",
            );
            None
        }
    }
}

fn schedule(errors: &mut Vec<FieldError>, schedule: &Schedule) -> Schedule {
    let (start, end) = match schedule {
        Schedule::Once { start, end, .. }
        | Schedule::Dates { start, end, .. }
        | Schedule::Recurring { start, end, .. } => (start, end),
    };
    if end.is_some_and(|end| end <= *start) {
        problem(
            errors,
            "/schedule/end",
            "終了時刻は開始時刻より後にしてください",
            "the end must be after the start",
        );
    }
    if let Schedule::Dates { dates, start, end } = schedule {
        return listed_dates(errors, dates, *start, *end);
    }
    let Schedule::Recurring {
        rule,
        from,
        until,
        except,
        ..
    } = schedule
    else {
        return schedule.clone();
    };
    recurrence(errors, rule);
    if until.is_some_and(|until| until < *from) {
        problem(
            errors,
            "/schedule/until",
            "終了日は開始日以降にしてください",
            "until must not be before from",
        );
    }
    if except.len() > EXCEPT_MAX {
        problem(
            errors,
            "/schedule/except",
            format!("休みの日は{EXCEPT_MAX}日までです"),
            format!("at most {EXCEPT_MAX} excluded dates"),
        );
    }
    let mut normalized = schedule.clone();
    if let Schedule::Recurring { except, rule, .. } = &mut normalized {
        except.sort();
        except.dedup();
        if let Recurrence::Weekly { weekdays, .. } = rule {
            weekdays.sort();
            weekdays.dedup();
        }
    }
    normalized
}

/// A year of a monthly class with spare days; more is a recurring event.
const DATES_MAX: usize = 60;

/// The days listed, in order and once each: at least one, at most [`DATES_MAX`].
fn listed_dates(
    errors: &mut Vec<FieldError>,
    dates: &[CalendarDate],
    start: ClockTime,
    end: Option<ClockTime>,
) -> Schedule {
    if dates.is_empty() {
        problem(
            errors,
            "/schedule/dates",
            "開催日を1日以上入力してください",
            "list at least one date",
        );
    }
    if dates.len() > DATES_MAX {
        problem(
            errors,
            "/schedule/dates",
            format!("開催日は{DATES_MAX}日までです。それより多いときは「くり返し」で入力してください"),
            format!("at most {DATES_MAX} dates; use a recurring schedule for more"),
        );
    }
    let mut dates = dates.to_vec();
    dates.sort();
    dates.dedup();
    Schedule::Dates { dates, start, end }
}

/// 4週ごと is the longest weekly rhythm a municipality announces; past that it says a date.
const INTERVAL_WEEKS_MAX: u8 = 4;

fn recurrence(errors: &mut Vec<FieldError>, rule: &Recurrence) {
    match rule {
        Recurrence::Weekly { weekdays, .. } if weekdays.is_empty() => problem(
            errors,
            "/schedule/rule/weekdays",
            "曜日を1つ以上選んでください",
            "choose at least one weekday",
        ),
        Recurrence::Weekly { interval_weeks, .. } if !(1..=INTERVAL_WEEKS_MAX).contains(interval_weeks) => {
            problem(
                errors,
                "/schedule/rule/interval_weeks",
                format!("何週ごとかは1から{INTERVAL_WEEKS_MAX}の間で選んでください（隔週は2）"),
                format!("interval_weeks must be 1 to {INTERVAL_WEEKS_MAX}"),
            )
        }
        Recurrence::MonthlyWeekday { nth, .. } if !(matches!(nth, 1..=5 | -1)) => problem(
            errors,
            "/schedule/rule/nth",
            "第何週かは1から5（最終週は-1）で入力してください",
            "nth must be 1 to 5, or -1 for the last",
        ),
        Recurrence::MonthlyDay { day } if !(1..=31).contains(day) => problem(
            errors,
            "/schedule/rule/day",
            "日付は1から31の間で入力してください",
            "day must be 1 to 31",
        ),
        _ => {}
    }
}

fn audience(errors: &mut Vec<FieldError>, audience: &Audience) -> Audience {
    if let Some(range) = &audience.age_months {
        months(errors, "/audience/age_months", range);
    }
    if audience.grades.is_some_and(|grades| grades.from > grades.to) {
        problem(
            errors,
            "/audience/grades/to",
            "対象学年の終わりは始まり以上にしてください",
            "the upper grade must not be below the lower",
        );
    }
    Audience {
        note: optional_text(
            errors,
            "/audience/note",
            "対象",
            audience.note.as_deref(),
            Several(LINE_MAX),
        ),
        ..audience.clone()
    }
}

fn sign_up(errors: &mut Vec<FieldError>, sign_up: &SignUp, schedule: &Schedule) -> SignUp {
    let url = optional_url(errors, "/sign_up/url", sign_up.url.as_deref());
    if sign_up.method == SignUpMethod::Web && url.is_none() && sign_up.url.is_none() {
        problem(
            errors,
            "/sign_up/url",
            "ウェブで申し込む場合は申込フォームのURLを入力してください",
            "a web sign-up needs the form's url",
        );
    }
    let phone = phone(errors, "/sign_up/phone", sign_up.phone.as_deref());
    match (schedule, sign_up.deadline, sign_up.deadline_days_before) {
        (Schedule::Once { date, .. }, Some(deadline), _) if deadline > *date => problem(
            errors,
            "/sign_up/deadline",
            "申込締切は開催日以前にしてください",
            "the deadline must not be after the event",
        ),
        (Schedule::Recurring { .. } | Schedule::Dates { .. }, Some(_), _) => problem(
            errors,
            "/sign_up/deadline",
            "くり返しや複数の日の催しは、締切を「開催日の何日前」で入力してください",
            "the deadline of an event on several days is given in days before each date",
        ),
        (_, _, Some(days)) if days > DEADLINE_DAYS_MAX => problem(
            errors,
            "/sign_up/deadline_days_before",
            format!("締切は{DEADLINE_DAYS_MAX}日前までで入力してください"),
            format!("at most {DEADLINE_DAYS_MAX} days before"),
        ),
        _ => {}
    }
    SignUp {
        method: sign_up.method,
        url,
        phone,
        deadline: sign_up.deadline,
        deadline_days_before: sign_up.deadline_days_before,
        note: optional_text(
            errors,
            "/sign_up/note",
            "申込方法の補足",
            sign_up.note.as_deref(),
            Several(LINE_MAX),
        ),
    }
}

fn fee(errors: &mut Vec<FieldError>, fee: &Fee) -> Fee {
    if fee.yen > FEE_MAX_YEN {
        problem(
            errors,
            "/fee/yen",
            format!("参加費は{FEE_MAX_YEN}円以下で入力してください"),
            format!("the fee must be at most {FEE_MAX_YEN} yen"),
        );
    }
    Fee {
        yen: fee.yen,
        note: optional_text(
            errors,
            "/fee/note",
            "参加費の補足",
            fee.note.as_deref(),
            One(LINE_MAX),
        ),
    }
}

/// The first date of a schedule and its last (none while it repeats without end): the span a
/// date filter compares with. `None` for an empty list of dates, which validation refuses.
pub(crate) fn span(schedule: &Schedule) -> Option<(CalendarDate, Option<CalendarDate>)> {
    match schedule {
        Schedule::Once { date, .. } => Some((*date, Some(*date))),
        Schedule::Dates { dates, .. } => Some((*dates.first()?, dates.last().copied())),
        Schedule::Recurring { from, until, .. } => Some((*from, *until)),
    }
}
