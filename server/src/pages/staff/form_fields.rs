//! Reading what a clerk typed into a staff form, said once for every editor that is not the
//! program editor (events, places): each value read leniently (full-width digits, 和暦 dates,
//! 「10：00」), and what cannot be read kept as a message for its control, so that the form
//! still reaches validation and every problem is shown at once.

use std::collections::BTreeMap;

use kosodate_domain::{CalendarDate, japan};
use kosodate_places::ClockTime;

/// Messages for the form's controls, by control id.
pub type FieldMessages = BTreeMap<String, String>;

pub use crate::pages::household_form::field;

/// Every value of a field that repeats (ticked checkboxes).
pub fn values(fields: &[(String, String)], name: &str) -> Vec<String> {
    fields
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .collect()
}

pub fn optional(text: &str) -> Option<String> {
    Some(text.trim())
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// The value, or the control's message when there is none.
pub fn read<T>(errors: &mut FieldMessages, name: &str, value: Option<T>, message: &str) -> Option<T> {
    if value.is_none() {
        errors
            .entry(name.to_owned())
            .or_insert_with(|| message.to_owned());
    }
    value
}

/// A number typed in any width; empty is none.
pub fn number<T: std::str::FromStr>(
    errors: &mut FieldMessages,
    name: &str,
    text: &str,
    message: &str,
) -> Option<T> {
    match japan::half_width(text.trim()).as_str() {
        "" => None,
        text => read(errors, name, text.parse().ok(), message),
    }
}

pub fn time(errors: &mut FieldMessages, name: &str, text: &str) -> Option<ClockTime> {
    ClockTime::parse(text)
        .map_err(|_| {
            let message = "時刻は「10:00」のように24時間制で入力してください";
            errors
                .entry(name.to_owned())
                .or_insert_with(|| message.to_owned());
        })
        .ok()
}

/// A date in 和暦 or 2026/4/14; empty is none.
pub fn date(errors: &mut FieldMessages, name: &str, text: &str) -> Option<CalendarDate> {
    if text.trim().is_empty() {
        return None;
    }
    let date = japan::parse_date(text)
        .map_err(|error| error.message_ja())
        .and_then(|date| CalendarDate::try_from(date).map_err(|error| error.message_ja().to_owned()));
    match date {
        Ok(date) => Some(date),
        Err(message) => {
            errors.entry(name.to_owned()).or_insert(message);
            None
        }
    }
}

/// Dates one a line (blank lines skipped), each read as [`date`] reads one.
pub fn dates_of(errors: &mut FieldMessages, name: &str, text: &str) -> Vec<CalendarDate> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .filter_map(|line| date(errors, name, line))
        .collect()
}

/// Dates one a line, as [`dates_of`] reads them back.
pub fn one_a_line(dates: &[CalendarDate]) -> String {
    dates
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The form's own messages and then validation's, one per control, each validation error at the
/// control its JSON pointer names first in `controls` (pointer prefix, control id), else at
/// `fallback`.
pub fn messages(
    mut messages: FieldMessages,
    invalid: &[kosodate_registry::FieldError],
    controls: &[(&str, &str)],
    fallback: &str,
) -> FieldMessages {
    for error in invalid {
        let control = controls
            .iter()
            .find(|(prefix, _)| error.pointer.starts_with(prefix))
            .map_or(fallback, |(_, control)| control);
        messages
            .entry(control.to_owned())
            .or_insert_with(|| error.detail.clone());
    }
    messages
}

/// A posted form from its pairs, for the editors' tests.
#[cfg(test)]
pub fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}
