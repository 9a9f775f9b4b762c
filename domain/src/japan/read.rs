//! Dates as a clerk types them into a form, in the forms besides those [`super::parse_date`]
//! reads: an era's initial (「R8.4.1」, 「H31.4.30」), dots or slashes between the numbers
//! (「2026.4.1」, 「令和8.4.1」), 8 digits (「20260401」), spaces, full-width letters, and a date
//! the service wrote, with its Western date in parentheses (「令和8年4月1日（2026年4月1日）」), so
//! that what a page shows can be typed back. Each is rewritten into a form `parse_date` reads,
//! which then decides.

use chrono::NaiveDate;

use super::{DateTextError, ERAS, parse_date};

/// Reads a typed date; see the module's documentation for the forms.
pub fn read_date(text: &str) -> Result<NaiveDate, DateTextError> {
    let compact: String = half_width(text).chars().filter(|c| !c.is_whitespace()).collect();
    let first = compact.split(['(', '（']).next().unwrap_or_default();
    parse_date(&rewritten(first))
}

/// `first` in a form [`parse_date`] reads, where it is one of the forms it does not.
fn rewritten(text: &str) -> String {
    if text.len() == 8 && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return format!("{}-{}-{}", &text[0..4], &text[4..6], &text[6..8]);
    }
    let (era, numbers) = match ERAS
        .iter()
        .find_map(|(name, _, _)| Some((*name, era_rest(text, name)?)))
    {
        Some((name, rest)) => (Some(name), rest),
        None => (None, text),
    };
    let parts: Vec<&str> = numbers.split(['.', '/', '-']).collect();
    match (era, parts.as_slice()) {
        (Some(era), [year, month, day]) => format!("{era}{year}年{month}月{day}日"),
        (None, [year, month, day]) => format!("{year}-{month}-{day}"),
        _ => text.to_owned(),
    }
}

/// What follows the era's name or its initial (R, H, S, T, M, either case), if `text` starts
/// with one.
fn era_rest<'a>(text: &'a str, era: &str) -> Option<&'a str> {
    let initial = match era {
        "令和" => 'R',
        "平成" => 'H',
        "昭和" => 'S',
        "大正" => 'T',
        _ => 'M',
    };
    text.strip_prefix(era)
        .or_else(|| text.strip_prefix(initial))
        .or_else(|| text.strip_prefix(initial.to_ascii_lowercase()))
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit() || c == '元'))
}

/// Full-width digits, letters and punctuation to ASCII, as typed with a Japanese input method.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            'ー' | '‐' | '−' | '―' => '-',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn everyday_ways_of_writing_a_date_are_read() {
        for (typed, date) in [
            ("2026-04-01", "2026-04-01"),
            ("2026/4/1", "2026-04-01"),
            ("２０２６／４／１", "2026-04-01"),
            ("20260401", "2026-04-01"),
            ("2026年4月1日", "2026-04-01"),
            ("2026.4.1", "2026-04-01"),
            ("令和8年4月1日", "2026-04-01"),
            ("令和８年４月１日", "2026-04-01"),
            ("令和8.4.1", "2026-04-01"),
            ("R8.4.1", "2026-04-01"),
            ("r8/4/1", "2026-04-01"),
            ("Ｒ８．４．１", "2026-04-01"),
            ("令和元年5月1日", "2019-05-01"),
            ("H31.4.30", "2019-04-30"),
            ("令和8年4月1日（2026年4月1日）", "2026-04-01"),
            (" 2026年 4月 1日 ", "2026-04-01"),
        ] {
            assert_eq!(read_date(typed), Ok(day(date)), "{typed}");
        }
    }

    #[test]
    fn what_is_not_a_date_says_why() {
        assert!(matches!(read_date("来年の春"), Err(DateTextError::Malformed(_))));
        assert!(matches!(
            read_date("2026-02-30"),
            Err(DateTextError::NoSuchDay(_))
        ));
        assert!(matches!(
            read_date("令和1年4月30日"),
            Err(DateTextError::OutsideEra { .. })
        ));
        assert!(matches!(
            read_date("H31.5.1"),
            Err(DateTextError::OutsideEra { .. })
        ));
        assert!(matches!(read_date(""), Err(DateTextError::Malformed(_))));
    }

    #[test]
    fn every_date_the_service_writes_is_read_back() {
        let mut date = day("1989-01-01");
        while date < day("2031-01-01") {
            assert_eq!(read_date(&super::super::format_date(date)), Ok(date), "{date}");
            date = date + chrono::Days::new(13);
        }
    }
}
