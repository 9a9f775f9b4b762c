//! The event form, as typed, and its two translations: to the `EventInput` the crate validates
//! (times, dates in 和暦 or 2026/4/1, 「3か月」, full-width digits) and back from a stored event
//! or a template. The schedule is entered the way a clerk says it: once on a day, on days listed
//! one a line, every week or every 2 to 4 weeks (隔週) on ticked weekdays, every month on the
//! n-th weekday (第2火曜), or every month on a day, with the days off one a line. Messages are
//! keyed by the id of the control they are about, whether the form could not read a value or
//! validation refused it (its JSON pointers are mapped here).

use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_places::{
    Audience, ClockTime, Event, EventInput, EventKind, EventTemplate, Fee, Grade, GradeRange, MonthRange,
    Recurrence, Schedule, SignUp, SignUpMethod, Venue, Weekday,
};
use kosodate_registry::{Contact, FieldError};
use strum::VariantArray;

use crate::pages::staff::form_fields::{self, date, dates_of, number, one_a_line, optional, read, time};
pub use crate::pages::staff::form_fields::{FieldMessages, field};

/// Every field of the event form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventForm {
    pub owner: String,
    pub kind: String,
    pub title: String,
    pub reading: String,
    pub description: String,
    /// A place's id, or empty for a venue in words.
    pub place_id: String,
    pub venue: String,
    /// `once`, `dates`, `weekly`, `monthly_weekday` or `monthly_day`.
    pub repeat: String,
    pub date: String,
    /// For `dates`: one date a line.
    pub dates: String,
    pub start: String,
    pub end: String,
    /// Weekday ids ticked for `weekly`.
    pub weekdays: Vec<String>,
    /// For `weekly`: 1 every week, 2 every other week (隔週), up to 4; empty means 1.
    pub interval_weeks: String,
    pub nth: String,
    pub nth_weekday: String,
    pub month_day: String,
    pub from: String,
    pub until: String,
    /// One date a line.
    pub except: String,
    pub pregnancy: bool,
    pub age_from: String,
    pub age_to: String,
    pub grade_from: String,
    pub grade_to: String,
    pub audience_note: String,
    pub capacity: String,
    pub sign_up_method: String,
    pub sign_up_url: String,
    pub sign_up_phone: String,
    pub deadline: String,
    pub deadline_days_before: String,
    pub sign_up_note: String,
    pub fee_yen: String,
    pub fee_note: String,
    pub contact_section: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// The version the form was read at (empty for a new event).
    pub version: String,
}

impl EventForm {
    /// The form as posted (the weekday checkboxes repeat their name).
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let text = |name: &str| field(fields, name).to_owned();
        Self {
            owner: text("owner"),
            kind: text("kind"),
            title: text("title"),
            reading: text("reading"),
            description: text("description"),
            place_id: text("place_id"),
            venue: text("venue"),
            repeat: text("repeat"),
            date: text("date"),
            dates: text("dates"),
            start: text("start"),
            end: text("end"),
            weekdays: form_fields::values(fields, "weekday"),
            interval_weeks: text("interval_weeks"),
            nth: text("nth"),
            nth_weekday: text("nth_weekday"),
            month_day: text("month_day"),
            from: text("from"),
            until: text("until"),
            except: text("except"),
            pregnancy: !field(fields, "pregnancy").is_empty(),
            age_from: text("age_from"),
            age_to: text("age_to"),
            grade_from: text("grade_from"),
            grade_to: text("grade_to"),
            audience_note: text("audience_note"),
            capacity: text("capacity"),
            sign_up_method: text("sign_up_method"),
            sign_up_url: text("sign_up_url"),
            sign_up_phone: text("sign_up_phone"),
            deadline: text("deadline"),
            deadline_days_before: text("deadline_days_before"),
            sign_up_note: text("sign_up_note"),
            fee_yen: text("fee_yen"),
            fee_note: text("fee_note"),
            contact_section: text("contact_section"),
            contact_phone: text("contact_phone"),
            contact_email: text("contact_email"),
            version: text("version"),
        }
    }

    /// A blank form for `owner`, or one filled from a template.
    pub fn new(owner: &str, template: Option<&EventTemplate>) -> Self {
        let mut form = Self {
            owner: owner.to_owned(),
            kind: EventKind::Other.id().to_owned(),
            repeat: "once".to_owned(),
            sign_up_method: SignUpMethod::None.id().to_owned(),
            nth: "1".to_owned(),
            ..Self::default()
        };
        let Some(template) = template else {
            return form;
        };
        form.kind = template.kind.id().to_owned();
        form.title = template.title.to_owned();
        form.description = template.description.to_owned();
        form.start = template.start.to_string();
        form.end = template.end.to_string();
        form.sign_up_method = template.sign_up.id().to_owned();
        form.capacity = template.capacity.map(|n| n.to_string()).unwrap_or_default();
        form.audience(&template.audience);
        if let Some(rule) = &template.rule {
            form.rule(rule);
        }
        form
    }

    /// The form for a stored event.
    pub fn from_event(event: &Event) -> Self {
        let content = &event.content;
        let mut form = Self {
            owner: content.owner.to_string(),
            kind: content.kind.id().to_owned(),
            title: content.title.clone(),
            reading: content.reading.clone().unwrap_or_default(),
            description: content.description.clone().unwrap_or_default(),
            capacity: content.capacity.map(|n| n.to_string()).unwrap_or_default(),
            sign_up_method: content.sign_up.method.id().to_owned(),
            sign_up_url: content.sign_up.url.clone().unwrap_or_default(),
            sign_up_phone: content.sign_up.phone.clone().unwrap_or_default(),
            deadline: content
                .sign_up
                .deadline
                .map(|d| d.to_string())
                .unwrap_or_default(),
            deadline_days_before: content
                .sign_up
                .deadline_days_before
                .map(|n| n.to_string())
                .unwrap_or_default(),
            sign_up_note: content.sign_up.note.clone().unwrap_or_default(),
            fee_yen: content.fee.yen.to_string(),
            fee_note: content.fee.note.clone().unwrap_or_default(),
            contact_section: content.contact.section.clone().unwrap_or_default(),
            contact_phone: content.contact.phone.clone().unwrap_or_default(),
            contact_email: content.contact.email.clone().unwrap_or_default(),
            version: event.version.to_string(),
            nth: "1".to_owned(),
            ..Self::default()
        };
        match &content.venue {
            Venue::Place { place_id } => form.place_id = place_id.to_string(),
            Venue::Text { text } => form.venue = text.clone(),
        }
        form.audience(&content.audience);
        form.schedule(&content.schedule);
        form
    }

    fn audience(&mut self, audience: &Audience) {
        self.pregnancy = audience.pregnancy;
        let number = |n: Option<u16>| n.map(|n| n.to_string()).unwrap_or_default();
        if let Some(range) = audience.age_months {
            self.age_from = number(range.from);
            self.age_to = number(range.to);
        }
        if let Some(grades) = audience.grades {
            self.grade_from = grades.from.0.to_string();
            self.grade_to = grades.to.0.to_string();
        }
        self.audience_note = audience.note.clone().unwrap_or_default();
    }

    fn schedule(&mut self, schedule: &Schedule) {
        match schedule {
            Schedule::Once { date, start, end } => {
                self.repeat = "once".to_owned();
                self.date = date.to_string();
                self.times(*start, *end);
            }
            Schedule::Dates { dates, start, end } => {
                self.repeat = "dates".to_owned();
                self.dates = one_a_line(dates);
                self.times(*start, *end);
            }
            Schedule::Recurring {
                rule,
                start,
                end,
                from,
                until,
                except,
            } => {
                self.rule(rule);
                self.times(*start, *end);
                self.from = from.to_string();
                self.until = until.map(|d| d.to_string()).unwrap_or_default();
                self.except = one_a_line(except);
            }
        }
    }

    fn times(&mut self, start: ClockTime, end: Option<ClockTime>) {
        self.start = start.to_string();
        self.end = end.map(|end| end.to_string()).unwrap_or_default();
    }

    fn rule(&mut self, rule: &Recurrence) {
        match rule {
            Recurrence::Weekly {
                weekdays,
                interval_weeks,
            } => {
                self.repeat = "weekly".to_owned();
                self.weekdays = weekdays.iter().map(|day| day.id().to_owned()).collect();
                self.interval_weeks = interval_weeks.to_string();
            }
            Recurrence::MonthlyWeekday { nth, weekday } => {
                self.repeat = "monthly_weekday".to_owned();
                self.nth = nth.to_string();
                self.nth_weekday = weekday.id().to_owned();
            }
            Recurrence::MonthlyDay { day } => {
                self.repeat = "monthly_day".to_owned();
                self.month_day = day.to_string();
            }
        }
    }

    /// The input the form says, and what the form itself could not read. A value that cannot be
    /// read is left out, so that validation still reports everything else at once.
    /// `today` stands in for a date that cannot be read, so that validation still runs.
    pub fn to_input(&self, today: CalendarDate) -> (EventInput, FieldMessages) {
        let mut errors = FieldMessages::new();
        let schedule = self.to_schedule(&mut errors, today);
        let input = EventInput {
            owner: self.owner.trim().to_owned(),
            kind: EventKind::parse(&self.kind).unwrap_or(EventKind::Other),
            title: self.title.clone(),
            reading: optional(&self.reading),
            description: optional(&self.description),
            place_id: match self.place_id.trim() {
                "" => None,
                id => read(
                    &mut errors,
                    "place_id",
                    uuid::Uuid::parse_str(id).ok(),
                    "施設を一覧から選んでください",
                ),
            },
            venue: optional(&self.venue),
            schedule,
            audience: self.to_audience(&mut errors),
            capacity: number(
                &mut errors,
                "capacity",
                &self.capacity,
                "定員は数字で入力してください（例: 15）",
            ),
            sign_up: SignUp {
                method: SignUpMethod::parse(&self.sign_up_method).unwrap_or(SignUpMethod::None),
                url: optional(&self.sign_up_url),
                phone: optional(&self.sign_up_phone),
                deadline: date(&mut errors, "deadline", &self.deadline),
                deadline_days_before: number(
                    &mut errors,
                    "deadline_days_before",
                    &self.deadline_days_before,
                    "締切は「開催日の何日前」を数字で入力してください（例: 3）",
                ),
                note: optional(&self.sign_up_note),
            },
            fee: Fee {
                yen: number(
                    &mut errors,
                    "fee_yen",
                    &self.fee_yen.replace([',', '，', '円'], ""),
                    "参加費は円の金額を数字で入力してください（無料は0）",
                )
                .unwrap_or(0),
                note: optional(&self.fee_note),
            },
            contact: Contact {
                section: optional(&self.contact_section),
                phone: optional(&self.contact_phone),
                email: optional(&self.contact_email),
                url: None,
            },
            license: None,
        };
        (input, errors)
    }

    fn to_schedule(&self, errors: &mut FieldMessages, today: CalendarDate) -> Schedule {
        let start = time(errors, "start", &self.start).unwrap_or_else(noon);
        let end = match self.end.trim() {
            "" => None,
            _ => time(errors, "end", &self.end),
        };
        let first = |errors: &mut FieldMessages, name: &str, text: &str| {
            if text.trim().is_empty() {
                errors.insert(
                    name.to_owned(),
                    "日付を入力してください（例: 令和8年4月14日、2026/4/14）".to_owned(),
                );
                return None;
            }
            date(errors, name, text)
        };
        if self.repeat == "once" || self.repeat.is_empty() {
            let date = first(errors, "date", &self.date).unwrap_or(today);
            return Schedule::Once { date, start, end };
        }
        if self.repeat == "dates" {
            let dates = dates_of(errors, "dates", &self.dates);
            return Schedule::Dates { dates, start, end };
        }
        let from = first(errors, "from", &self.from).unwrap_or(today);
        self.recurring(errors, start, end, from)
    }

    fn recurring(
        &self,
        errors: &mut FieldMessages,
        start: ClockTime,
        end: Option<ClockTime>,
        from: CalendarDate,
    ) -> Schedule {
        let rule = match self.repeat.as_str() {
            "monthly_weekday" => Recurrence::MonthlyWeekday {
                nth: self.nth.trim().parse().unwrap_or(0),
                weekday: Weekday::parse(&self.nth_weekday).unwrap_or(Weekday::Mon),
            },
            "monthly_day" => Recurrence::MonthlyDay {
                day: number(
                    errors,
                    "month_day",
                    &self.month_day,
                    "日付は1から31の数字で入力してください",
                )
                .unwrap_or(0),
            },
            _ => Recurrence::Weekly {
                weekdays: self.weekdays.iter().filter_map(|id| Weekday::parse(id)).collect(),
                // The select offers 1 to 4 only; anything else is refused by validation.
                interval_weeks: match self.interval_weeks.trim() {
                    "" => 1,
                    weeks => weeks.parse().unwrap_or(0),
                },
            },
        };
        let except = dates_of(errors, "except", &self.except);
        Schedule::Recurring {
            rule,
            start,
            end,
            from,
            until: date(errors, "until", &self.until),
            except,
        }
    }

    fn to_audience(&self, errors: &mut FieldMessages) -> Audience {
        let months = |errors: &mut FieldMessages, name: &str, text: &str| {
            let text = japan::half_width(text.trim());
            let digits = text
                .trim_end_matches("か月")
                .trim_end_matches("ヶ月")
                .trim_end_matches("カ月");
            number::<u16>(
                errors,
                name,
                digits,
                "月齢は数字で入力してください（例: 5、生後5か月）",
            )
        };
        let age_from = months(errors, "age_from", &self.age_from);
        let age_to = months(errors, "age_to", &self.age_to);
        let grade = |errors: &mut FieldMessages, name: &str, text: &str| match text.trim() {
            "" => None,
            text => read(errors, name, Grade::parse(text), "学年を一覧から選んでください"),
        };
        let grade_from = grade(errors, "grade_from", &self.grade_from);
        let grade_to = grade(errors, "grade_to", &self.grade_to);
        let grades = match (grade_from, grade_to) {
            (Some(from), Some(to)) => Some(GradeRange { from, to }),
            (Some(one), None) | (None, Some(one)) => Some(GradeRange { from: one, to: one }),
            (None, None) => None,
        };
        Audience {
            pregnancy: self.pregnancy,
            age_months: (age_from.is_some() || age_to.is_some()).then_some(MonthRange {
                from: age_from,
                to: age_to,
            }),
            grades,
            note: optional(&self.audience_note),
        }
    }
}

fn noon() -> ClockTime {
    ClockTime::parse("12:00").unwrap_or_else(|_| unreachable!("a valid time"))
}

/// The control each validation error is about, by its JSON pointer's prefix (first match).
const CONTROLS: &[(&str, &str)] = &[
    ("/owner", "owner"),
    ("/title", "title"),
    ("/reading", "reading"),
    ("/description", "description"),
    ("/place_id", "place_id"),
    ("/venue", "venue"),
    ("/schedule/end", "end"),
    ("/schedule/until", "until"),
    ("/schedule/except", "except"),
    ("/schedule/dates", "dates"),
    ("/schedule/rule/weekdays", "weekdays"),
    ("/schedule/rule/interval_weeks", "interval_weeks"),
    ("/schedule/rule/nth", "nth"),
    ("/schedule/rule/day", "month_day"),
    ("/schedule", "start"),
    ("/audience/age_months", "age_from"),
    ("/audience/grades", "grade_from"),
    ("/audience/note", "audience_note"),
    ("/capacity", "capacity"),
    ("/sign_up/url", "sign_up_url"),
    ("/sign_up/phone", "sign_up_phone"),
    ("/sign_up/deadline_days_before", "deadline_days_before"),
    ("/sign_up/deadline", "deadline"),
    ("/sign_up", "sign_up_note"),
    ("/fee/yen", "fee_yen"),
    ("/fee", "fee_note"),
    ("/contact/phone", "contact_phone"),
    ("/contact/email", "contact_email"),
    ("/contact", "contact_section"),
];

/// The form's own messages and then validation's, one per control.
pub fn messages(messages: FieldMessages, invalid: &[FieldError]) -> FieldMessages {
    form_fields::messages(messages, invalid, CONTROLS, "title")
}

/// Every event kind as the form's select lists them.
pub fn kinds() -> Vec<(&'static str, &'static str)> {
    EventKind::VARIANTS
        .iter()
        .map(|kind| (kind.id(), kind.label_ja()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::staff::form_fields::posted;

    fn today() -> CalendarDate {
        CalendarDate::parse("2026-12-05").unwrap()
    }

    #[test]
    fn the_second_tuesday_with_days_off_in_wareki_becomes_a_monthly_rule() {
        let form = EventForm::from_fields(&posted(&[
            ("owner", "022021"),
            ("kind", "weaning_class"),
            ("title", "離乳食教室"),
            ("venue", "弘前市保健センター"),
            ("repeat", "monthly_weekday"),
            ("nth", "2"),
            ("nth_weekday", "tue"),
            ("start", "１０：００"),
            ("end", "11:30"),
            ("from", "令和8年4月1日"),
            ("except", "2026/8/11\n\n令和9年1月12日"),
            ("age_from", "5か月"),
            ("age_to", "８"),
        ]));
        let (input, errors) = form.to_input(today());
        assert_eq!(errors, FieldMessages::new());
        let content = input.validate().unwrap();
        let Schedule::Recurring {
            rule, except, from, ..
        } = &content.schedule
        else {
            panic!("recurring expected");
        };
        assert_eq!(
            rule,
            &Recurrence::MonthlyWeekday {
                nth: 2,
                weekday: Weekday::Tue
            }
        );
        assert_eq!(from.to_string(), "2026-04-01");
        assert_eq!(except.len(), 2);
        assert_eq!(
            content.audience.age_months,
            Some(MonthRange {
                from: Some(5),
                to: Some(8)
            })
        );
        let stored = Event {
            id: uuid::Uuid::nil(),
            content,
            status: kosodate_places::Status::Draft,
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            published_at: None,
        };
        let again = EventForm::from_event(&stored);
        assert_eq!(again.to_input(today()).0.validate().unwrap(), stored.content);
    }

    #[test]
    fn unreadable_and_refused_values_are_shown_at_their_controls() {
        let form = EventForm::from_fields(&posted(&[
            ("owner", "022021"),
            ("title", ""),
            ("venue", "会館"),
            ("repeat", "weekly"),
            ("start", "25時"),
            ("from", "2026-04-01"),
            ("until", "2026-03-01"),
            ("except", "そのうち"),
        ]));
        let (input, errors) = form.to_input(today());
        assert!(errors.contains_key("start"), "{errors:?}");
        assert!(errors.contains_key("except"), "{errors:?}");
        let invalid = input.validate().unwrap_err();
        let messages = messages(errors, &invalid.0);
        for control in ["title", "weekdays", "until", "start", "except"] {
            assert!(messages.contains_key(control), "{control}: {messages:?}");
        }
    }
}
