//! Postal addresses down to the block or the room: a place name followed by 丁目, 番地, 番…号,
//! a block number like 1-2-3, or a building and its room (サンハイツ203号室). The municipality
//! (青森県, 弘前市, 東津軽郡平内町) is left in the text: it is shared by thousands of families,
//! and parents name it to be answered about their own town's support. A municipality alone
//! (「青森市に住んでいます」) is therefore never a finding.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::view::View;
use super::{Detections, PersonalDataKind};

static ADDRESS_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    let number = "[0-9〇一二三四五六七八九十百千]+";
    let pattern = format!(
        "(?P<chome>{number}丁目(?:\\s*{number}(?:番地?|-|の)(?:\\s*{number}号?)?)?)\
         |(?P<banchi>{number}番地(?:(?:の|-){number}号?)?)\
         |(?P<bango>{number}番{number}号)\
         |(?P<room>{number}号室)\
         |(?P<building>(?:マンション|ハイツ|コーポ|アパート|レジデンス|メゾン|荘|団地|寮)\\s*[a-z]?{number}(?:号棟|棟|号室|号|室)?)\
         |(?P<three>{number}-{number}-{number})\
         |(?P<two>{number}-{number})"
    );
    Regex::new(&pattern).unwrap_or_else(|error| panic!("address pattern: {error}"))
});

/// The most characters of place name looked at before a number.
const MAX_PLACE_CHARS: usize = 24;

/// What follows a number that is a count, an age or a date, not a block number.
const UNITS: &str = "歳才年月日時分秒回人円件個名枚本台冊週%点位級か頁";

/// Characters that end a word that is no place name (第1-2, 約1-2, 令和6年1-2).
const NOT_PLACE_ENDINGS: &str = "第約計全各毎年月日時回歳才期号版表図巻章条項式";

/// Characters after 市 or 町 that make a word (市民, 町内会) rather than a municipality.
const NOT_MUNICIPALITY_FOLLOWERS: &str = "民役立営長場外議会制政道庁";

pub(super) fn detect(view: &View, found: &mut Detections) {
    for captures in ADDRESS_NUMBER.captures_iter(&view.text) {
        let Some(number) = captures.get(0) else {
            continue;
        };
        let place = place_before(view, number.start());
        let place_text = &view.text[place.clone()];
        let followed_by_unit = view.text[number.end()..]
            .chars()
            .next()
            .is_some_and(|next| UNITS.contains(next));
        let place_ends_well = place_text
            .chars()
            .next_back()
            .is_some_and(|last| !NOT_PLACE_ENDINGS.contains(last));
        let is_address = if captures.name("chome").is_some() {
            number.as_str().contains(['番', '-', 'の']) || has_city(place_text)
        } else if captures.name("two").is_some() {
            !followed_by_unit && place_ends_well && has_municipality(place_text)
        } else if captures.name("three").is_some() {
            !followed_by_unit && place_ends_well
        } else {
            place_ends_well || captures.name("building").is_some()
        };
        if !is_address {
            continue;
        }
        let start = if captures.name("room").is_some() || captures.name("building").is_some() {
            place.start
        } else {
            place.start + municipality_prefix_len(place_text)
        };
        found.push((PersonalDataKind::PostalAddress, start..number.end()));
    }
}

/// Kanji and katakana make up place names (大字田名部字赤川ノ内, 六ヶ所村); a ひらがな particle
/// or punctuation ends one.
fn is_place_char(character: char) -> bool {
    matches!(
        character,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々' | '〆' | '〇' | '\u{30A1}'..='\u{30FF}'
    )
}

/// The byte range of the place name that ends at `end` (possibly empty).
fn place_before(view: &View, end: usize) -> Range<usize> {
    let mut start = end;
    for (count, character) in view.text[..end].chars().rev().enumerate() {
        if count == MAX_PLACE_CHARS || !is_place_char(character) {
            break;
        }
        start -= character.len_utf8();
    }
    start..end
}

/// Byte offsets just after each `suffix` in `place` that ends a municipality rather than
/// beginning a word (市民, 町議会). A place may start with its 市: むつ市 and つがる市 are
/// written in ひらがな, which ends the place name before them.
fn municipality_ends<'a>(place: &'a str, suffixes: &'a str) -> impl Iterator<Item = usize> + 'a {
    place.char_indices().filter_map(move |(offset, character)| {
        let end = offset + character.len_utf8();
        let word = place[end..]
            .chars()
            .next()
            .is_some_and(|next| NOT_MUNICIPALITY_FOLLOWERS.contains(next));
        (suffixes.contains(character) && !word).then_some(end)
    })
}

fn has_city(place: &str) -> bool {
    municipality_ends(place, "市区郡").next().is_some()
}

fn has_municipality(place: &str) -> bool {
    municipality_ends(place, "市区町村郡字").next().is_some()
}

/// How much of a place name is the prefecture and the municipality, kept in the text: through
/// the first 市, or through 郡 and the 町 or 村 after it. Without either, a 町 may as well be a
/// neighbourhood (新町), so nothing is kept.
fn municipality_prefix_len(place: &str) -> usize {
    let prefecture = municipality_ends(place, "都道府県")
        .next()
        .filter(|&end| place[..end].chars().count() <= 4)
        .unwrap_or(0);
    let rest = &place[prefecture..];
    let Some((suffix_end, suffix)) = municipality_ends(rest, "市郡")
        .next()
        .map(|end| (end, rest[..end].chars().next_back()))
    else {
        return prefecture;
    };
    if suffix == Some('郡') {
        let town = municipality_ends(&rest[suffix_end..], "町村").next();
        return prefecture + suffix_end + town.unwrap_or(0);
    }
    prefecture + suffix_end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked_parts(text: &str) -> Vec<String> {
        let found = crate::personal_data::found_by(detect, text);
        found.into_iter().map(|(_, part)| part).collect()
    }

    #[test]
    fn addresses_keep_their_municipality() {
        assert_eq!(masked_parts("住所は青森市新町2丁目4-1です"), ["新町2丁目4-1"]);
        assert_eq!(masked_parts("八戸市内丸一丁目1番1号"), ["内丸一丁目1番1号"]);
        assert_eq!(masked_parts("青森県弘前市大字紙漉町１－２"), ["大字紙漉町１－２"]);
        assert_eq!(
            masked_parts("東津軽郡平内町大字小湊字小湊63番地"),
            ["大字小湊字小湊63番地"]
        );
        assert_eq!(
            masked_parts("むつ市大字田名部字赤川ノ内12番地の3"),
            ["大字田名部字赤川ノ内12番地の3"]
        );
        assert_eq!(masked_parts("三沢市中央町1-2-3に住んでいます"), ["中央町1-2-3"]);
        assert_eq!(masked_parts("青森市中央１丁目に引っ越しました"), ["中央１丁目"]);
    }

    #[test]
    fn buildings_and_rooms_are_masked_whole() {
        assert_eq!(
            masked_parts("グランドハイツ青森101号室です"),
            ["グランドハイツ青森101号室"]
        );
        assert_eq!(masked_parts("桜川団地5号棟"), ["桜川団地5号棟"]);
    }

    #[test]
    fn municipalities_counts_and_ranges_are_not_addresses() {
        for text in [
            "青森市に住んでいます",
            "弘前市の保育園に通っています",
            "1-2歳児クラス",
            "小学1-2年生",
            "第1-2回の説明会",
            "2024-10-01",
            "市民体育館1-2",
            "1番に並びました",
            "2丁目の公園",
            "令和6年度の1-3月",
        ] {
            assert_eq!(masked_parts(text), Vec::<String>::new(), "{text}");
        }
    }
}
