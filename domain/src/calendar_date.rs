use std::borrow::Cow;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day between 1900-01-01 and 2200-12-31, written `YYYY-MM-DD`. Every date the
/// service is given (program fields, application windows, children's dates, query parameters)
/// is one: far wider than any family or program needs, narrow enough that date arithmetic on it
/// cannot overflow and that it always prints as an RFC 3339 `full-date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalendarDate(NaiveDate);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarDateError {
    #[error("invalid date: write YYYY-MM-DD, e.g. 2026-04-01")]
    Malformed,
    #[error("date out of range: from 1900-01-01 to 2200-12-31")]
    OutOfRange,
}

impl CalendarDateError {
    /// The message shown to people, in Japanese.
    pub fn message_ja(self) -> &'static str {
        match self {
            Self::Malformed => "日付は「2026-04-01」の形で入力してください",
            Self::OutOfRange => "日付は1900年1月1日から2200年12月31日までで入力してください",
        }
    }
}

impl CalendarDate {
    pub const FIRST_YEAR: i32 = 1900;
    pub const LAST_YEAR: i32 = 2200;
    /// The JSON Schema pattern of what `parse` accepts (day-of-month validity aside).
    pub const PATTERN: &str = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

    /// Parses exactly `YYYY-MM-DD` (RFC 3339 `full-date`) within the years 1900 to 2200.
    pub fn parse(text: &str) -> Result<Self, CalendarDateError> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes.iter().enumerate().all(|(index, byte)| match index {
                4 | 7 => *byte == b'-',
                _ => byte.is_ascii_digit(),
            });
        if !shaped {
            return Err(CalendarDateError::Malformed);
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| CalendarDateError::Malformed)?;
        Self::try_from(date)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// For dates read loosely elsewhere (spreadsheets write 2026/4/1) and for dates read back from
/// the database: the range still holds.
impl TryFrom<NaiveDate> for CalendarDate {
    type Error = CalendarDateError;

    fn try_from(date: NaiveDate) -> Result<Self, Self::Error> {
        match (Self::FIRST_YEAR..=Self::LAST_YEAR).contains(&date.year()) {
            true => Ok(Self(date)),
            false => Err(CalendarDateError::OutOfRange),
        }
    }
}

impl From<CalendarDate> for NaiveDate {
    fn from(date: CalendarDate) -> Self {
        date.0
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for CalendarDate {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(Self::PATTERN))
            .description(Some("A date from 1900-01-01 to 2200-12-31 (YYYY-MM-DD)"))
            .examples(["2026-04-01"])
            .into()
    }
}

impl utoipa::ToSchema for CalendarDate {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_dates_in_range() {
        let date = CalendarDate::parse("2026-04-01").unwrap();
        assert_eq!(date.to_string(), "2026-04-01");
        assert!(CalendarDate::parse("1900-01-01").is_ok());
        assert!(CalendarDate::parse("2200-12-31").is_ok());
    }

    #[test]
    fn refuses_other_shapes_and_years() {
        for (text, error) in [
            ("0000-01-01", CalendarDateError::OutOfRange),
            ("1899-12-31", CalendarDateError::OutOfRange),
            ("2201-01-01", CalendarDateError::OutOfRange),
            ("+10000-01-01", CalendarDateError::Malformed),
            ("-262143-01-01", CalendarDateError::Malformed),
            ("2026-4-1", CalendarDateError::Malformed),
            ("2026-02-30", CalendarDateError::Malformed),
            (" 2026-04-01", CalendarDateError::Malformed),
            ("２０２６-04-01", CalendarDateError::Malformed),
        ] {
            assert_eq!(CalendarDate::parse(text), Err(error), "{text}");
        }
    }

    #[test]
    fn serde_round_trip() {
        let date: CalendarDate = serde_json::from_str("\"2026-04-01\"").unwrap();
        assert_eq!(serde_json::to_string(&date).unwrap(), "\"2026-04-01\"");
        assert!(serde_json::from_str::<CalendarDate>("\"+10000-01-01\"").is_err());
    }
}
