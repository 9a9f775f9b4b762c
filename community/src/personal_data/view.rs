//! The text as the detectors read it: the search crate's normalisation (NFKC, lower case) with
//! カタカナ kept apart from ひらがな (a katakana name is not a particle), every kind of hyphen as
//! `-`, and each character's byte range in the original, so that findings point into it.

use std::ops::Range;

use kosodate_search::normalize_mapped;

#[derive(Debug)]
pub(super) struct View {
    /// The normalised text the detectors match against.
    pub text: String,
    /// Byte offset in `text` of each character.
    starts: Vec<usize>,
    /// Byte range in the original text of each character.
    origins: Vec<Range<usize>>,
}

/// Hyphens, dashes and minus signs people type between digits; the prolonged sound mark ー is
/// one too, but only between digits (elsewhere it is part of a word).
fn is_dash(character: char) -> bool {
    matches!(
        character,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{2043}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Arabic digits and the kanji numerals a number can be spelled with (〇九〇の一二三四…).
pub(super) fn digit_value(character: char) -> Option<u8> {
    let value = match character {
        '0'..='9' => character as u32 - '0' as u32,
        '〇' | '零' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    };
    u8::try_from(value).ok()
}

fn is_original_katakana(original: &str) -> bool {
    original
        .chars()
        .next()
        .is_some_and(|first| matches!(first, '\u{30A1}'..='\u{30FA}' | '\u{FF66}'..='\u{FF9D}'))
}

impl View {
    pub fn new(original: &str) -> Self {
        let mapped = normalize_mapped(original);
        let mut characters: Vec<char> = mapped
            .iter()
            .map(|each| {
                let from_katakana = is_original_katakana(&original[each.start..each.end]);
                match each.character {
                    // The search fold made it ひらがな; a katakana word stays katakana here.
                    hiragana @ '\u{3041}'..='\u{3096}' if from_katakana => {
                        char::from_u32(u32::from(hiragana) + 0x60).unwrap_or(hiragana)
                    }
                    dash if is_dash(dash) => '-',
                    other => other,
                }
            })
            .collect();
        for index in 1..characters.len().saturating_sub(1) {
            let between_digits =
                digit_value(characters[index - 1]).is_some() && digit_value(characters[index + 1]).is_some();
            if characters[index] == 'ー' && between_digits {
                characters[index] = '-';
            }
        }
        let mut text = String::with_capacity(original.len());
        let mut starts = Vec::with_capacity(characters.len());
        for &character in &characters {
            starts.push(text.len());
            text.push(character);
        }
        let origins = mapped.iter().map(|each| each.start..each.end).collect();
        Self {
            text,
            starts,
            origins,
        }
    }

    /// The original byte range of a byte range of the view (which must lie on the view's
    /// character boundaries, as regex matches and character offsets do).
    pub fn original(&self, range: Range<usize>) -> Range<usize> {
        let first = self.starts.partition_point(|&start| start < range.start);
        let last = self.starts.partition_point(|&start| start < range.end);
        match (
            self.origins.get(first),
            last.checked_sub(1).and_then(|i| self.origins.get(i)),
        ) {
            (Some(first), Some(last)) if last.end > first.start => first.start..last.end,
            _ => 0..0,
        }
    }

    /// The characters of the view with their byte offsets in it, from `from` on.
    pub fn chars_from(&self, from: usize) -> impl Iterator<Item = (usize, char)> + '_ {
        self.text[from..]
            .char_indices()
            .map(move |(offset, character)| (from + offset, character))
    }

    /// The character before byte offset `at` of the view.
    pub fn char_before(&self, at: usize) -> Option<char> {
        self.text[..at].chars().next_back()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_dashes_and_katakana() {
        let view = View::new("ＴＥＬ０９０ー１２３４―５６７８、ハナコ");
        assert_eq!(view.text, "tel090-1234-5678、ハナコ");
        let view = View::new("ﾊﾅｺ　ラーメン");
        assert_eq!(view.text, "ハナコ ラーメン");
    }

    #[test]
    fn view_ranges_map_back_to_the_original() {
        let original = "電話は０９０－１２３４";
        let view = View::new(original);
        let start = view.text.find('0').unwrap_or_default();
        let range = view.original(start..view.text.len());
        assert_eq!(&original[range], "０９０－１２３４");
        assert_eq!(view.original(0..0), 0..0);
    }
}
