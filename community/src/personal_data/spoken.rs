//! Phone numbers read out in カタカナ (ゼロキューゼロ、イチニーサンヨン、ゴーロクナナハチ), the way
//! people write a number past a filter that looks for digits.

use super::view::View;
use super::{Detections, PersonalDataKind};

/// Digit words, longer spellings first so that キュー is not read as ク.
const DIGIT_WORDS: [(&str, char); 18] = [
    ("キュウ", '9'),
    ("キュー", '9'),
    ("ゼロ", '0'),
    ("レイ", '0'),
    ("マル", '0'),
    ("イチ", '1'),
    ("ニー", '2'),
    ("サン", '3'),
    ("ヨン", '4'),
    ("ゴー", '5'),
    ("ロク", '6'),
    ("ナナ", '7'),
    ("シチ", '7'),
    ("ハチ", '8'),
    ("ニ", '2'),
    ("シ", '4'),
    ("ゴ", '5'),
    ("ク", '9'),
];

/// What may stand between the groups of a number read out.
const SEPARATORS: [char; 6] = [' ', '-', '、', '・', 'の', 'ー'];

pub(super) fn detect(view: &View, found: &mut Detections) {
    let text = view.text.as_str();
    let mut position = 0;
    while let Some(character) = text[position..].chars().next() {
        if let Some((end, digits)) = read_out_number(text, position) {
            let phone = (10..=11).contains(&digits.len()) && digits.starts_with('0');
            if phone {
                found.push((PersonalDataKind::PhoneNumber, position..end));
            }
            position = end;
            continue;
        }
        position += character.len_utf8();
    }
}

fn digit_word_at(text: &str, position: usize) -> Option<(usize, char)> {
    let rest = &text[position..];
    DIGIT_WORDS
        .iter()
        .find(|(word, _)| rest.starts_with(word))
        .map(|&(word, digit)| (position + word.len(), digit))
}

/// The digit words from `start` on (with at most two separator characters between them): the
/// byte offset after the last one and the digits, or `None` when no digit word starts there.
fn read_out_number(text: &str, start: usize) -> Option<(usize, String)> {
    let (mut end, first) = digit_word_at(text, start)?;
    let mut digits = String::from(first);
    loop {
        let mut next = end;
        for character in text[end..].chars().take(2) {
            if !SEPARATORS.contains(&character) {
                break;
            }
            next += character.len_utf8();
        }
        let Some((after, digit)) = digit_word_at(text, next) else {
            return Some((end, digits));
        };
        digits.push(digit);
        end = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(PersonalDataKind, String)> {
        crate::personal_data::found_by(detect, text)
    }

    #[test]
    fn numbers_read_out_in_katakana() {
        let phone = |text: &str| vec![(PersonalDataKind::PhoneNumber, text.to_owned())];
        let number = "ゼロキューゼロ、イチニーサンヨン、ゴーロクナナハチ";
        assert_eq!(found(&format!("電話は{number}です")), phone(number));
        assert_eq!(found("ｾﾞﾛﾊﾁｾﾞﾛ ｲﾁｲﾁｲﾁｲﾁ ﾆﾆﾆﾆ"), phone("ｾﾞﾛﾊﾁｾﾞﾛ ｲﾁｲﾁｲﾁｲﾁ ﾆﾆﾆﾆ"));
        for text in [
            "サンシャイン水族館",
            "イチゴとサンドイッチ",
            "ゴーゴーカレー",
            "シクシク泣く",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }
}
