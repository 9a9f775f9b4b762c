//! The place form, as typed, and its two translations: to the `PlaceInput` the places crate
//! validates (times 「9：00」, postal codes and phone numbers in any width, 「5か月」) and back
//! from a stored place or a kind's template. Opening hours are rows of a weekday with its
//! opening and closing times and a note; a weekday may have several rows (morning and afternoon
//! sessions), a blank row is no row, and a weekday without rows is closed. Every row a stored
//! place has comes back as a row, so that saving never drops what the form did not show.

use kosodate_domain::{Vocabulary, japan};
use kosodate_places::{
    DayHours, Facility, MonthRange, OpeningHours, Place, PlaceInput, PlaceKind, PlaceTemplate, Weekday,
};
use kosodate_registry::FieldError;
use strum::VariantArray;

use crate::pages::staff::form_fields::{self, FieldMessages, field, number, optional, read, time};

/// Blank rows the form offers beyond those it has, for a session to add.
const SPARE_ROWS: usize = 2;
/// Rows a posted form is read for: more than any place opens in a week.
const MAX_ROWS: usize = 50;

/// One row of opening hours, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursRow {
    pub weekday: String,
    pub open: String,
    pub close: String,
    pub note: String,
}

impl HoursRow {
    fn is_blank(&self) -> bool {
        [&self.open, &self.close, &self.note]
            .iter()
            .all(|text| text.trim().is_empty())
    }
}

/// Every field of the place form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceForm {
    pub owner: String,
    pub kind: String,
    pub name: String,
    pub reading: String,
    pub description: String,
    pub address: String,
    pub postal_code: String,
    pub phone: String,
    pub url: String,
    pub latitude: String,
    pub longitude: String,
    pub hours: Vec<HoursRow>,
    pub closed_days: String,
    pub hours_note: String,
    pub age_from: String,
    pub age_to: String,
    /// Facility ids ticked.
    pub facilities: Vec<String>,
    /// The licence's URL; empty for CC BY 4.0.
    pub license: String,
    /// The version the form was read at (empty for a new place).
    pub version: String,
}

impl PlaceForm {
    /// The form as posted: rows are `hours-N-weekday`, `-open`, `-close`, `-note`.
    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let text = |name: &str| field(fields, name).to_owned();
        let hours = (0..MAX_ROWS)
            .map(|row| HoursRow {
                weekday: text(&format!("hours-{row}-weekday")),
                open: text(&format!("hours-{row}-open")),
                close: text(&format!("hours-{row}-close")),
                note: text(&format!("hours-{row}-note")),
            })
            .collect::<Vec<_>>();
        let last_typed = hours
            .iter()
            .rposition(|row| !row.is_blank())
            .map_or(0, |row| row + 1);
        let mut form = Self {
            owner: text("owner"),
            kind: text("kind"),
            name: text("name"),
            reading: text("reading"),
            description: text("description"),
            address: text("address"),
            postal_code: text("postal_code"),
            phone: text("phone"),
            url: text("url"),
            latitude: text("latitude"),
            longitude: text("longitude"),
            hours: hours.into_iter().take(last_typed).collect(),
            closed_days: text("closed_days"),
            hours_note: text("hours_note"),
            age_from: text("age_from"),
            age_to: text("age_to"),
            facilities: form_fields::values(fields, "facility"),
            license: text("license"),
            version: text("version"),
        };
        form.add_spare_rows();
        form
    }

    /// A blank form for `owner` of `kind`, filled from the kind's template when it has one.
    pub fn new(owner: &str, kind: PlaceKind, template: Option<&PlaceTemplate>) -> Self {
        let mut form = Self {
            owner: owner.to_owned(),
            kind: kind.id().to_owned(),
            ..Self::default()
        };
        if let Some(template) = template {
            form.description = template.description.clone();
            form.ages(template.age_months);
            form.facilities = ids(&template.facilities);
            form.opening_hours(&template.opening_hours);
        }
        form.add_spare_rows();
        form
    }

    /// The form for a stored place.
    pub fn from_place(place: &Place) -> Self {
        let content = &place.content;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let coordinate = |value: Option<f64>| value.map(|n| n.to_string()).unwrap_or_default();
        let mut form = Self {
            owner: content.owner.to_string(),
            kind: content.kind.id().to_owned(),
            name: content.name.clone(),
            reading: text(&content.reading),
            description: text(&content.description),
            address: content.address.clone(),
            postal_code: text(&content.postal_code),
            phone: text(&content.phone),
            url: text(&content.url),
            latitude: coordinate(content.latitude),
            longitude: coordinate(content.longitude),
            facilities: ids(&content.facilities),
            license: match content.license.as_str() {
                kosodate_places::DEFAULT_LICENSE => String::new(),
                other => other.to_owned(),
            },
            version: place.version.to_string(),
            ..Self::default()
        };
        form.ages(content.age_months);
        form.opening_hours(&content.opening_hours);
        form.add_spare_rows();
        form
    }

    fn ages(&mut self, range: Option<MonthRange>) {
        let number = |n: Option<u16>| n.map(|n| n.to_string()).unwrap_or_default();
        if let Some(range) = range {
            self.age_from = number(range.from);
            self.age_to = number(range.to);
        }
    }

    fn opening_hours(&mut self, hours: &OpeningHours) {
        self.hours = hours
            .days
            .iter()
            .map(|day| HoursRow {
                weekday: day.weekday.id().to_owned(),
                open: day.open.to_string(),
                close: day.close.to_string(),
                note: day.note.clone().unwrap_or_default(),
            })
            .collect();
        self.closed_days = hours.closed_days.clone().unwrap_or_default();
        self.hours_note = hours.note.clone().unwrap_or_default();
    }

    /// Rows to type a new session into: at least one for each weekday on a new place.
    fn add_spare_rows(&mut self) {
        let spare = SPARE_ROWS.max(Weekday::VARIANTS.len().saturating_sub(self.hours.len()));
        let next_weekday = |index: usize| Weekday::VARIANTS[index % Weekday::VARIANTS.len()].id();
        for index in 0..spare {
            let weekday = match self.hours.is_empty() && index < Weekday::VARIANTS.len() {
                true => next_weekday(index),
                false => "",
            };
            self.hours.push(HoursRow {
                weekday: weekday.to_owned(),
                ..HoursRow::default()
            });
        }
    }

    /// The input the form says, what the form itself could not read, and for each opening hours
    /// entry of the input the row it came from (validation names entries by their index).
    pub fn to_input(&self) -> (PlaceInput, FieldMessages, Vec<usize>) {
        let mut errors = FieldMessages::new();
        let (days, rows) = self.days(&mut errors);
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
                "月齢は数字で入力してください（例: 47、3歳11か月まで）",
            )
        };
        let age_from = months(&mut errors, "age_from", &self.age_from);
        let age_to = months(&mut errors, "age_to", &self.age_to);
        let coordinate = |errors: &mut FieldMessages, name: &str, text: &str| {
            number::<f64>(
                errors,
                name,
                text,
                "緯度・経度は数字で入力してください（例: 40.8256）",
            )
        };
        let input = PlaceInput {
            owner: self.owner.trim().to_owned(),
            kind: PlaceKind::parse(&self.kind).unwrap_or(PlaceKind::Other),
            name: self.name.clone(),
            reading: optional(&self.reading),
            address: self.address.clone(),
            postal_code: optional(&self.postal_code),
            latitude: coordinate(&mut errors, "latitude", &self.latitude),
            longitude: coordinate(&mut errors, "longitude", &self.longitude),
            phone: optional(&self.phone),
            url: optional(&self.url),
            opening_hours: OpeningHours {
                days,
                closed_days: optional(&self.closed_days),
                note: optional(&self.hours_note),
            },
            age_months: (age_from.is_some() || age_to.is_some()).then_some(MonthRange {
                from: age_from,
                to: age_to,
            }),
            facilities: self
                .facilities
                .iter()
                .filter_map(|id| Facility::parse(id))
                .collect(),
            description: optional(&self.description),
            license: optional(&self.license),
        };
        (input, errors, rows)
    }

    /// The rows that say something, read; a row that cannot be read is left out with its message.
    fn days(&self, errors: &mut FieldMessages) -> (Vec<DayHours>, Vec<usize>) {
        let mut days = Vec::new();
        let mut rows = Vec::new();
        for (row, typed) in self
            .hours
            .iter()
            .enumerate()
            .filter(|(_, typed)| !typed.is_blank())
        {
            let weekday = read(
                errors,
                &format!("hours-{row}-weekday"),
                Weekday::parse(&typed.weekday),
                "曜日を選んでください",
            );
            let open = time(errors, &format!("hours-{row}-open"), &typed.open);
            let close = time(errors, &format!("hours-{row}-close"), &typed.close);
            let (Some(weekday), Some(open), Some(close)) = (weekday, open, close) else {
                continue;
            };
            days.push(DayHours {
                weekday,
                open,
                close,
                note: optional(&typed.note),
            });
            rows.push(row);
        }
        (days, rows)
    }
}

fn ids(facilities: &[Facility]) -> Vec<String> {
    facilities
        .iter()
        .map(|facility| facility.id().to_owned())
        .collect()
}

/// The control each validation error is about, by its JSON pointer's prefix (first match).
const CONTROLS: &[(&str, &str)] = &[
    ("/owner", "owner"),
    ("/name", "name"),
    ("/reading", "reading"),
    ("/address", "address"),
    ("/postal_code", "postal_code"),
    ("/latitude", "latitude"),
    ("/longitude", "longitude"),
    ("/phone", "phone"),
    ("/url", "url"),
    ("/opening_hours/closed_days", "closed_days"),
    ("/opening_hours/note", "hours_note"),
    ("/age_months", "age_from"),
    ("/description", "description"),
    ("/license", "license"),
];

/// The form's own messages and then validation's, one per control; an opening hours entry's
/// problem at the row it came from (`rows`, as `to_input` gave them).
pub fn messages(messages: FieldMessages, invalid: &[FieldError], rows: &[usize]) -> FieldMessages {
    let (hours, rest): (Vec<FieldError>, Vec<FieldError>) = invalid
        .iter()
        .cloned()
        .partition(|error| error.pointer.starts_with("/opening_hours/days/"));
    let mut messages = form_fields::messages(messages, &rest, CONTROLS, "name");
    for error in hours {
        let mut parts = error
            .pointer
            .trim_start_matches("/opening_hours/days/")
            .split('/');
        let index = parts.next().and_then(|index| index.parse::<usize>().ok());
        let Some(row) = index.and_then(|index| rows.get(index)) else {
            continue;
        };
        let part = match parts.next() {
            Some("note") => "note",
            _ => "close",
        };
        messages
            .entry(format!("hours-{row}-{part}"))
            .or_insert(error.detail);
    }
    messages
}

/// Every place kind as the form's select lists them.
pub fn kinds() -> Vec<(&'static str, &'static str)> {
    PlaceKind::VARIANTS
        .iter()
        .map(|kind| (kind.id(), kind.label_ja()))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::pages::staff::form_fields::posted;

    #[test]
    fn rows_in_any_width_become_opening_hours_and_come_back_as_rows() {
        let form = PlaceForm::from_fields(&posted(&[
            ("owner", "022012"),
            ("kind", "support_center"),
            ("name", "つどいの広場"),
            ("address", "青森市新町1-3-7"),
            ("postal_code", "０３０－０８０１"),
            ("hours-0-weekday", "mon"),
            ("hours-0-open", "９：００"),
            ("hours-0-close", "12:00"),
            ("hours-2-weekday", "mon"),
            ("hours-2-open", "13:00"),
            ("hours-2-close", "16:00"),
            ("hours-2-note", "午後は予約制"),
            ("age_from", "0"),
            ("age_to", "47か月"),
            ("facility", "nursing_room"),
            ("facility", "diaper_changing"),
        ]));
        let (input, errors, rows) = form.to_input();
        assert_eq!(errors, FieldMessages::new());
        assert_eq!(rows, [0, 2]);
        let content = input.validate().unwrap();
        assert_eq!(content.opening_hours.days.len(), 2);
        assert_eq!(content.postal_code.as_deref(), Some("030-0801"));
        let stored = Place {
            id: uuid::Uuid::nil(),
            content,
            status: kosodate_places::Status::Draft,
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            published_at: None,
        };
        let again = PlaceForm::from_place(&stored);
        assert_eq!(again.to_input().0.validate().unwrap(), stored.content);
    }

    #[test]
    fn a_closing_time_before_opening_is_shown_at_its_row() {
        let form = PlaceForm::from_fields(&posted(&[
            ("owner", "022012"),
            ("kind", "park"),
            ("name", ""),
            ("address", "青森市"),
            ("hours-0-weekday", "sat"),
            ("hours-0-open", "10:00"),
            ("hours-0-close", "11:00"),
            ("hours-3-weekday", "sun"),
            ("hours-3-open", "15:00"),
            ("hours-3-close", "09:00"),
            ("hours-4-weekday", "sun"),
            ("hours-4-open", "朝"),
            ("latitude", "北緯40度"),
        ]));
        let (input, errors, rows) = form.to_input();
        assert!(errors.contains_key("hours-4-open"), "{errors:?}");
        assert!(errors.contains_key("latitude"), "{errors:?}");
        let invalid = input.validate().unwrap_err();
        let messages = messages(errors, &invalid.0, &rows);
        for control in ["name", "hours-3-close", "hours-4-open", "latitude"] {
            assert!(messages.contains_key(control), "{control}: {messages:?}");
        }
    }
}
