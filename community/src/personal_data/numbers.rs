//! Numbers that point at a person: phone numbers (mobile, landline, 050, 0120, +81), twelve
//! digits and longer (マイナンバー, cards, accounts) and postal codes. A number is a run of digit
//! groups (Arabic or kanji numerals) with short separators between them; dates, amounts, times
//! and ages never form one that passes, because their separators (`/`, `,`, `:`, 年月日) end a
//! run and their groups do not have a phone number's shape.

use std::ops::Range;

use super::view::{View, digit_value};
use super::{Detections, PersonalDataKind};

/// Characters that may stand between the groups of one number: 090-1234-5678, (017) 734 1111,
/// 〇九〇の一二三四の五六七八.
fn is_separator(character: char) -> bool {
    matches!(character, '-' | ' ' | '(' | ')' | '.' | '・' | 'の')
}

/// At most this many separator characters between two groups (`) - `).
const MAX_SEPARATOR_CHARS: usize = 3;

/// Words after which a shorter number is a phone number (a local number without area code).
const PHONE_WORDS: &[&str] = &[
    "電話",
    "でんわ",
    "tel",
    "☎",
    "携帯",
    "けいたい",
    "fax",
    "phone",
    "連絡先",
];
const POSTAL_WORDS: &[&str] = &["〒", "郵便番号", "郵便"];

/// How far before a number (in characters) a word that says what it is may stand.
const CONTEXT_CHARS: usize = 10;

#[derive(Debug)]
struct Group {
    range: Range<usize>,
    digits: String,
    /// The separator characters before this group (empty for the first).
    separator: String,
}

/// A run of digit groups, and what stands just before it.
#[derive(Debug)]
struct Run {
    groups: Vec<Group>,
    plus: bool,
    context: String,
}

pub(super) fn detect(view: &View, found: &mut Detections) {
    let chars: Vec<(usize, char)> = view.chars_from(0).collect();
    let mut index = 0;
    while index < chars.len() {
        if digit_value(chars[index].1).is_none() {
            index += 1;
            continue;
        }
        let (run, next) = read_run(view, &chars, index);
        split_into_numbers(view, &run, found);
        index = next;
    }
}

/// Reads the run of groups starting at `chars[first]`; returns it and the index after it.
fn read_run(view: &View, chars: &[(usize, char)], first: usize) -> (Run, usize) {
    let mut groups = Vec::new();
    let mut index = first;
    let mut separator = String::new();
    loop {
        let start = index;
        let mut digits = String::new();
        while let Some(value) = chars.get(index).and_then(|&(_, c)| digit_value(c)) {
            digits.push(char::from(b'0' + value));
            index += 1;
        }
        let end = chars.get(index).map_or(view.text.len(), |&(offset, _)| offset);
        groups.push(Group {
            range: chars[start].0..end,
            digits,
            separator: std::mem::take(&mut separator),
        });
        let mut lookahead = index;
        while lookahead < chars.len() && is_separator(chars[lookahead].1) {
            separator.push(chars[lookahead].1);
            lookahead += 1;
        }
        let continues = lookahead - index <= MAX_SEPARATOR_CHARS
            && separator.matches(['-', 'の']).count() <= 1
            && chars
                .get(lookahead)
                .is_some_and(|&(_, c)| digit_value(c).is_some());
        if !continues {
            break;
        }
        index = lookahead;
    }
    let run_start = chars[first].0;
    let context_start = first.saturating_sub(CONTEXT_CHARS);
    let run = Run {
        groups,
        plus: view.char_before(run_start) == Some('+'),
        context: view.text[chars[context_start].0..run_start].to_owned(),
    };
    (run, index)
}

/// Cuts a run into the numbers it holds (two phone numbers in a row, a postal code and a phone
/// number): at each group, the longest stretch of groups that is a phone number, else the
/// longest that is a long number, else a postal code.
fn split_into_numbers(view: &View, run: &Run, found: &mut Detections) {
    let mut first = 0;
    while first < run.groups.len() {
        // Five groups at the most: +81 (0)90 1234 5678.
        let most = (run.groups.len() - first).min(5);
        let classified = [is_phone_number, is_long_number, is_postal_code]
            .iter()
            .find_map(|test| {
                (1..=most)
                    .rev()
                    .find_map(|count| test(run, first, count).map(|kind| (count, kind)))
            });
        let Some((count, kind)) = classified else {
            first += 1;
            continue;
        };
        let groups = &run.groups[first..first + count];
        let mut start = groups[0].range.start;
        if first == 0 {
            start = include_opening(view, start, run, groups);
        }
        found.push((kind, start..groups[count - 1].range.end));
        first += count;
    }
}

/// A leading `+` (of +81) or `(` (of (017) 734-1111) belongs to the number.
fn include_opening(view: &View, start: usize, run: &Run, groups: &[Group]) -> usize {
    let opening = view.char_before(start);
    let closes = groups.get(1).is_some_and(|second| second.separator.contains(')'));
    match opening {
        Some('+') if run.plus => start - 1,
        Some('(') if closes => start - 1,
        _ => start,
    }
}

fn concatenated(groups: &[Group]) -> String {
    groups.iter().map(|group| group.digits.as_str()).collect()
}

fn mentions(context: &str, words: &[&str]) -> bool {
    words.iter().any(|word| context.contains(word))
}

fn is_phone_number(run: &Run, first: usize, count: usize) -> Option<PersonalDataKind> {
    let mut groups = &run.groups[first..first + count];
    let mut digits = concatenated(groups);
    if first == 0 && run.plus && groups[0].digits == "81" && groups.len() > 1 {
        // +81 90-1234-5678 is 090-1234-5678, and so is +81 (0)90 1234 5678.
        groups = &groups[1..];
        if groups[0].digits == "0" && groups.len() > 1 {
            groups = &groups[1..];
        }
        let national = concatenated(groups);
        digits = if national.starts_with('0') {
            national
        } else {
            format!("0{national}")
        };
    } else if first == 0 && run.plus && digits.starts_with("81") && groups.len() == 1 {
        digits = format!("0{}", &digits[2..]);
    }
    let shaped = has_phone_shape(&digits, groups)
        || (mentions(&run.context, PHONE_WORDS) && is_local_number(&digits, groups));
    shaped.then_some(PersonalDataKind::PhoneNumber)
}

/// 0 and a non-zero digit, then ten or eleven digits in all (eleven only for the numbers that
/// have them), in at most three groups of which the last has three or four digits.
fn has_phone_shape(digits: &str, groups: &[Group]) -> bool {
    let bytes = digits.as_bytes();
    if bytes.len() < 10 || bytes[0] != b'0' || bytes[1] == b'0' {
        return false;
    }
    let length_fits = match bytes.len() {
        10 => true,
        11 => ["070", "080", "090", "050", "020", "060", "0800"]
            .iter()
            .any(|prefix| digits.starts_with(prefix)),
        _ => false,
    };
    length_fits && is_grouped_like_a_phone(groups)
}

fn is_grouped_like_a_phone(groups: &[Group]) -> bool {
    match groups {
        [_] => true,
        [first, .., last] if groups.len() <= 3 => {
            (2..=5).contains(&first.digits.len()) && (3..=4).contains(&last.digits.len())
        }
        _ => false,
    }
}

/// After 電話 or TEL: a number without its area code (734-1111) is one too.
fn is_local_number(digits: &str, groups: &[Group]) -> bool {
    (6..=11).contains(&digits.len())
        && groups.len() <= 3
        && groups.last().is_some_and(|last| last.digits.len() >= 3)
}

/// Twelve digits (マイナンバー) and up to nineteen (card and account numbers): unbroken, or in
/// groups of three to six; not a list of years (2019 2020 2021).
fn is_long_number(run: &Run, first: usize, count: usize) -> Option<PersonalDataKind> {
    let groups = &run.groups[first..first + count];
    let length: usize = groups.iter().map(|group| group.digits.len()).sum();
    if !(12..=19).contains(&length) {
        return None;
    }
    let grouped = groups.len() == 1
        || (groups.len() >= 3 && groups.iter().all(|group| (3..=6).contains(&group.digits.len())));
    let years = groups.iter().all(|group| {
        group.digits.len() == 4 && (group.digits.starts_with("19") || group.digits.starts_with("20"))
    });
    (grouped && !years).then_some(PersonalDataKind::IndividualNumber)
}

/// 〒030-0801, 郵便番号0300801, or a bare 030-0801 (a hyphenated code starting with 0, which
/// amounts and ranges do not).
fn is_postal_code(run: &Run, first: usize, count: usize) -> Option<PersonalDataKind> {
    let groups = &run.groups[first..first + count];
    let announced = first == 0 && mentions(&run.context, POSTAL_WORDS);
    let shaped = match groups {
        [whole] => announced && whole.digits.len() == 7,
        [three, four] => {
            three.digits.len() == 3
                && four.digits.len() == 4
                && (announced || (four.separator == "-" && three.digits.starts_with('0')))
        }
        _ => false,
    };
    shaped.then_some(PersonalDataKind::PostalAddress)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(PersonalDataKind, String)> {
        crate::personal_data::found_by(detect, text)
    }

    fn phone(text: &str) -> (PersonalDataKind, String) {
        (PersonalDataKind::PhoneNumber, text.to_owned())
    }

    #[test]
    fn phone_numbers_in_every_spelling() {
        for number in [
            "090-1234-5678",
            "09012345678",
            "０９０－１２３４－５６７８",
            "080 1234 5678",
            "070ー1234ー5678",
            "017-734-1111",
            "0172-33-1234",
            "(0178)44-1234",
            "（０１７）７３４－１１１１",
            "050-1234-5678",
            "0120-123-456",
            "+81-90-1234-5678",
            "+81 (0)90 1234 5678",
            "〇九〇の一二三四の五六七八",
            "〇九〇‐一二三四‐五六七八",
            "090−1234−5678",
        ] {
            assert_eq!(kinds(&format!("連絡は{number}まで")), [phone(number)], "{number}");
        }
    }

    #[test]
    fn dates_amounts_times_and_ages_are_not_numbers() {
        for text in [
            "2024-10-01に申請しました",
            "令和6年10月1日から",
            "30,000円かかりました",
            "1歳6か月健診",
            "受付は9:00〜17:00です",
            "2019年、2020年、2021年と3人生まれました",
            "定員は120人で、0歳から5歳まで",
            "体重は3.5kgで身長は50.5cm",
            "1 2 3 4 5 6 7 8 9 0 1 2",
            "2019 2020 2021",
            "100-1000円くらい",
            "平成二十一年",
        ] {
            assert_eq!(kinds(text), [], "{text}");
        }
    }

    #[test]
    fn twelve_digits_and_postal_codes() {
        let long = |text: &str| (PersonalDataKind::IndividualNumber, text.to_owned());
        let postal = |text: &str| (PersonalDataKind::PostalAddress, text.to_owned());
        assert_eq!(kinds("番号は1234 5678 9012です"), [long("1234 5678 9012")]);
        assert_eq!(
            kinds("１２３４５６７８９０１２"),
            [long("１２３４５６７８９０１２")]
        );
        assert_eq!(
            kinds("一二三四-五六七八-九〇一二"),
            [long("一二三四-五六七八-九〇一二")]
        );
        assert_eq!(kinds("〒030-0801"), [postal("030-0801")]);
        assert_eq!(kinds("郵便番号は１００００１４"), [postal("１００００１４")]);
        assert_eq!(kinds("030−0801 青森市"), [postal("030−0801")]);
    }

    #[test]
    fn two_numbers_in_a_row_are_both_found() {
        assert_eq!(
            kinds("090-1234-5678 0172-33-1234"),
            [phone("090-1234-5678"), phone("0172-33-1234")]
        );
        assert_eq!(kinds("電話：734-1111"), [phone("734-1111")]);
    }
}
