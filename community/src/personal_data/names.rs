//! Names in the obvious forms: a self-introduction (「私は山田花子です」「佐藤と申します」), a
//! name given as one (「名前は田中太郎」「氏名：…」), a child or partner named after who they are
//! (「息子の太郎くん」「長女の花子が」), and a family name with a given name before さん, 様,
//! ちゃん or くん. A family name alone before さん (「田中さんに聞きました」) is not a finding:
//! it is shared by too many people to point at one, and questions name teachers and nurses so.
//! Role words (保健師さん, ママさん, お母さん, 先生) never are.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::view::View;
use super::{Detections, PersonalDataKind};

static FAMILY_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/family-names.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// The longest family name in the list, in characters.
const MAX_FAMILY_CHARS: usize = 4;
const MAX_GIVEN_KANJI: usize = 3;

static HONORIFIC: LazyLock<Regex> = LazyLock::new(|| compile("さん|さま|様|ちゃん|くん|君|氏|先生"));

/// A full name before です is one said of oneself or someone (青森市の山田花子です).
static COPULA: LazyLock<Regex> = LazyLock::new(|| compile("です|でございます"));

static SELF_INTRODUCTION: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?:私|わたし|わたくし|僕|ぼく|自分)(?:の名前)?(?:は|、)\s*"));

static INTRODUCTION_END: LazyLock<Regex> =
    LazyLock::new(|| compile("と(?:申します|申します|もうします|いいます|言います|申す)"));

static NAME_LABEL: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?:氏名|お名前|名前|なまえ|本名|フルネーム)\s*(?P<colon>[:は])\s*"));

static RELATION: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        "(?:息子|娘|長男|長女|次男|次女|三男|三女|末っ子|上の子|下の子|子ども|子供|こども|うちの子|我が子|\
         夫|主人|旦那|妻|嫁|兄|姉|弟|妹)の",
    )
});

fn compile(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|error| panic!("name pattern: {error}"))
}

/// Words before an honorific that are a role or a relation, not a name.
const NOT_NAMES: &[&str] = &[
    "ママ",
    "パパ",
    "ばあ",
    "じい",
    "にい",
    "ねえ",
    "赤",
    "兄",
    "姉",
    "弟",
    "妹",
    "先生",
    "友達",
    "友だち",
    "保育士",
    "医者",
    "看護師",
    "保健師",
    "助産師",
    "店員",
    "奥",
    "皆",
    "みな",
    "たく",
    "客",
    "主人",
    "旦那",
    "神",
];

/// How given names often end; a word ending so after 「息子の」 is taken for a name.
const GIVEN_NAME_ENDINGS: &str = "郎太介助輔斗翔樹也哉吾彦雄子美奈菜香花乃葉恵里莉華結陽葵蓮凛悠翼輝希咲紗彩";

/// Common words that end like given names (様子, 野菜, 言葉).
const WORDS_LIKE_NAMES: &[&str] = &[
    "様子", "調子", "帽子", "椅子", "菓子", "双子", "親子", "母子", "父子", "王子", "女子", "男子", "冊子",
    "拍子", "弟子", "息子", "障子", "扇子", "電子", "分子", "養子", "団子", "餃子", "迷子", "利子", "野菜",
    "言葉", "知恵", "太陽", "覚悟", "英雄", "豪華", "花", "子",
];

/// Ends of a given-name candidate that make it an institution or a role (山本病院さん).
const INSTITUTION_ENDINGS: &str =
    "園院所館科課局店社会室校部屋堂師士長員庁署都道府県市町村区家組者方達側業駅港線口前";

/// ひらがな that begin a particle rather than a name (森のくまさん); は, と and も begin too
/// many given names (はな, ともや, もも) to be here.
const PARTICLE_STARTS: &str = "のをにがでへ";

pub(super) fn detect(view: &View, found: &mut Detections) {
    let text = view.text.as_str();
    let mut push = |range: Range<usize>| found.push((PersonalDataKind::PersonName, range));
    for honorific in HONORIFIC.find_iter(text) {
        if let Some(name) = full_name_before(text, honorific.start(), 1) {
            push(name);
        }
    }
    // 今日です, 原材料です: before です a one-character family name is mostly a word.
    for copula in COPULA.find_iter(text) {
        if let Some(name) = full_name_before(text, copula.start(), 2) {
            push(name);
        }
    }
    for introduction in SELF_INTRODUCTION.find_iter(text) {
        if let Some(name) = introduced_name(text, introduction.end()) {
            push(name);
        }
    }
    for end in INTRODUCTION_END.find_iter(text) {
        if let Some(name) = name_before_introduction(text, end.start()) {
            push(name);
        }
    }
    for label in NAME_LABEL.captures_iter(text) {
        let (Some(whole), Some(colon)) = (label.get(0), label.name("colon")) else {
            continue;
        };
        if let Some(name) = labelled_name(text, whole.end(), colon.as_str() == ":") {
            push(name);
        }
    }
    for relation in RELATION.find_iter(text) {
        if let Some(name) = related_name(text, relation.end()) {
            push(name);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Kanji,
    Hiragana,
    Katakana,
}

fn script(character: char) -> Option<Script> {
    match character {
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々' | '〆' => Some(Script::Kanji),
        '\u{3041}'..='\u{3096}' => Some(Script::Hiragana),
        '\u{30A1}'..='\u{30FA}' | 'ー' => Some(Script::Katakana),
        _ => None,
    }
}

/// Start of the run of `wanted` script that ends at `end`, at most `max` characters long.
fn run_before(text: &str, end: usize, wanted: Script, max: usize) -> usize {
    let mut start = end;
    for (count, character) in text[..end].chars().rev().enumerate() {
        if count == max || script(character) != Some(wanted) {
            break;
        }
        start -= character.len_utf8();
    }
    start
}

/// End of the run of `wanted` script that starts at `start`, at most `max` characters long.
fn run_after(text: &str, start: usize, wanted: Script, max: usize) -> usize {
    let mut end = start;
    for (count, character) in text[start..].chars().enumerate() {
        if count == max || script(character) != Some(wanted) {
            break;
        }
        end += character.len_utf8();
    }
    end
}

fn char_count(text: &str) -> usize {
    text.chars().count()
}

/// Byte length of the longest family name `text` starts with.
fn family_name_prefix(text: &str) -> Option<usize> {
    family_name_prefix_of(text, 1)
}

/// Byte length of the longest family name of at least `min_chars` characters `text` starts
/// with.
fn family_name_prefix_of(text: &str, min_chars: usize) -> Option<usize> {
    let ends: Vec<usize> = text
        .char_indices()
        .map(|(offset, character)| offset + character.len_utf8())
        .take(MAX_FAMILY_CHARS)
        .collect();
    ends.into_iter()
        .skip(min_chars.saturating_sub(1))
        .rev()
        .find(|&end| FAMILY_NAMES.contains(&text[..end]))
}

/// Where the family name `text` ends with begins (the kanji before a given name in kana), the
/// longest of at least `min_chars` characters.
fn family_name_suffix(text: &str, min_chars: usize) -> Option<usize> {
    text.char_indices()
        .find(|&(offset, _)| {
            let family = &text[offset..];
            char_count(family) >= min_chars && FAMILY_NAMES.contains(family)
        })
        .map(|(offset, _)| offset)
}

fn is_given_name_like(given: &str) -> bool {
    let count = char_count(given);
    (1..=MAX_GIVEN_KANJI).contains(&count)
        && !NOT_NAMES.contains(&given)
        && given
            .chars()
            .next_back()
            .is_some_and(|last| !INSTITUTION_ENDINGS.contains(last))
}

/// 山田花子さん, 山田 花子様, 佐藤はなこちゃん: a family name from the list (of at least
/// `min_family_chars` characters) and a given name right before the honorific (or です) at
/// `end`. After a one-character family name (森, 林) the given name must have two kanji: 森林さん
/// is rare, 関係者様 is not.
fn full_name_before(text: &str, end: usize, min_family_chars: usize) -> Option<Range<usize>> {
    let kanji_start = run_before(text, end, Script::Kanji, MAX_FAMILY_CHARS + MAX_GIVEN_KANJI);
    if kanji_start < end {
        let run = &text[kanji_start..end];
        let within_run = run.char_indices().find_map(|(offset, _)| {
            let family = family_name_prefix_of(&run[offset..], min_family_chars)?;
            let given = &run[offset + family..];
            let fits = char_count(&run[offset..offset + family]) > 1 || char_count(given) == 2;
            (fits && is_given_name_like(given)).then_some(kanji_start + offset..end)
        });
        return within_run.or_else(|| family_before_space(text, kanji_start, end, min_family_chars));
    }
    let kana_start = [Script::Hiragana, Script::Katakana]
        .into_iter()
        .map(|wanted| run_before(text, end, wanted, 5))
        .min()
        .filter(|&start| (2..=4).contains(&char_count(&text[start..end])))?;
    let given = &text[kana_start..end];
    let particle = given
        .chars()
        .next()
        .is_some_and(|first| PARTICLE_STARTS.contains(first));
    if particle || NOT_NAMES.contains(&given) {
        return None;
    }
    family_before_space(text, kana_start, end, min_family_chars)
}

/// The family name in kanji before a given name starting at `given_start` (after one space at
/// the most): the name then runs from the family name to `end`.
fn family_before_space(
    text: &str,
    given_start: usize,
    end: usize,
    min_family_chars: usize,
) -> Option<Range<usize>> {
    let given = &text[given_start..end];
    if NOT_NAMES.contains(&given) {
        return None;
    }
    let family_end = if text[..given_start].ends_with(' ') {
        given_start - 1
    } else {
        given_start
    };
    let family_start = run_before(text, family_end, Script::Kanji, MAX_FAMILY_CHARS);
    let family = &text[family_start..family_end];
    family_name_suffix(family, min_family_chars).map(|offset| family_start + offset..end)
}

/// After 「私は」: a name that starts with a family name of two characters or more and ends the
/// phrase (私は山田花子です, 私は佐藤と申します), not 「私は中野区に」.
fn introduced_name(text: &str, start: usize) -> Option<Range<usize>> {
    const PHRASE_ENDS: [&str; 11] = [
        "です",
        "と申",
        "ともう",
        "といい",
        "と言い",
        "でござ",
        "だ",
        "。",
        "、",
        "!",
        " ",
    ];
    let end = run_after(text, start, Script::Kanji, MAX_FAMILY_CHARS + MAX_GIVEN_KANJI);
    let rest = &text[end..];
    if !(rest.is_empty() || PHRASE_ENDS.iter().any(|phrase_end| rest.starts_with(phrase_end))) {
        return None;
    }
    let run = &text[start..end];
    let family = family_name_prefix_of(run, 2)?;
    let given = &run[family..];
    (given.is_empty() || is_given_name_like(given)).then_some(start..end)
}

/// Before 「と申します」: the kanji or katakana word there, unless it is a role (二児の母).
fn name_before_introduction(text: &str, end: usize) -> Option<Range<usize>> {
    let start = [Script::Kanji, Script::Katakana]
        .into_iter()
        .map(|wanted| run_before(text, end, wanted, 8))
        .min()
        .filter(|&start| start < end)?;
    let name = &text[start..end];
    let role = name
        .chars()
        .next_back()
        .is_some_and(|last| "母父婦師士者員長".contains(last));
    (!role && !NOT_NAMES.contains(&name)).then_some(start..end)
}

/// After 「氏名：」 the words up to the end of the phrase (鳴海 さくら); after 「名前は」 a kanji
/// or katakana name that starts with a family name or ends like a given name (名前は太郎です),
/// not 「名前は大事です」.
fn labelled_name(text: &str, start: usize, colon: bool) -> Option<Range<usize>> {
    if colon {
        let mut end = word_after(text, start, 10);
        if text[end..].starts_with(' ') {
            end = word_after(text, end + 1, 10);
        }
        let phrase = &text[start..end];
        let name = phrase
            .find(['で', 'と'])
            .map_or(phrase, |cut| &phrase[..cut])
            .trim_end();
        return (!name.is_empty()).then(|| start..start + name.len());
    }
    let end = [Script::Kanji, Script::Katakana]
        .into_iter()
        .map(|wanted| run_after(text, start, wanted, 8))
        .max()
        .filter(|&end| end > start)?;
    let name = &text[start..end];
    let named = family_name_prefix(name).is_some()
        || looks_like_given_name(name)
        || script(name.chars().next()?) == Some(Script::Katakana);
    named.then_some(start..end)
}

/// End of the word of kanji and kana that starts at `start`, at most `max` characters long.
fn word_after(text: &str, start: usize, max: usize) -> usize {
    text[start..]
        .char_indices()
        .take(max)
        .find(|&(_, character)| script(character).is_none())
        .map_or_else(
            || start + text[start..].chars().take(max).map(char::len_utf8).sum::<usize>(),
            |(offset, _)| start + offset,
        )
}

fn looks_like_given_name(word: &str) -> bool {
    (1..=MAX_GIVEN_KANJI).contains(&char_count(word))
        && word
            .chars()
            .all(|character| script(character) == Some(Script::Kanji))
        && word
            .chars()
            .next_back()
            .is_some_and(|last| GIVEN_NAME_ENDINGS.contains(last))
        && !WORDS_LIKE_NAMES.contains(&word)
}

/// After 「息子の」: a word before an honorific (太郎くん, はなちゃん), or a kanji word that ends
/// like a given name (長女の花子が).
fn related_name(text: &str, start: usize) -> Option<Range<usize>> {
    let word = &text[start..word_after(text, start, 8)];
    let before_honorific = HONORIFIC
        .find_iter(word)
        .find(|honorific| honorific.start() > 0)
        .map(|honorific| start + honorific.start());
    if let Some(name_end) = before_honorific {
        let name = &text[start..name_end];
        let role = name.starts_with('お') || NOT_NAMES.contains(&name);
        return (!role).then_some(start..name_end);
    }
    let kanji_end = run_after(text, start, Script::Kanji, MAX_GIVEN_KANJI + 1);
    looks_like_given_name(&text[start..kanji_end]).then_some(start..kanji_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        let found = crate::personal_data::found_by(detect, text);
        let mut names: Vec<String> = found.into_iter().map(|(_, name)| name).collect();
        // Two forms may find the same name (私は山田花子です); detect merges them.
        names.dedup();
        names
    }

    #[test]
    fn the_family_name_list_is_read() {
        assert!(FAMILY_NAMES.len() > 250);
        assert!(FAMILY_NAMES.contains("佐々木"));
        assert!(!FAMILY_NAMES.iter().any(|name| name.starts_with('#')));
        assert!(
            FAMILY_NAMES
                .iter()
                .all(|name| char_count(name) <= MAX_FAMILY_CHARS)
        );
    }

    #[test]
    fn names_in_the_obvious_forms() {
        assert_eq!(names("私は山田花子です。"), ["山田花子"]);
        assert_eq!(names("佐藤と申します"), ["佐藤"]);
        assert_eq!(names("はじめまして、ヤマダと申します"), ["ヤマダ"]);
        assert_eq!(names("名前は田中太郎です"), ["田中太郎"]);
        assert_eq!(names("氏名：鳴海 さくら"), ["鳴海 さくら"]);
        assert_eq!(names("息子の太郎くんが"), ["太郎"]);
        assert_eq!(names("長女の花子が熱を出しました"), ["花子"]);
        assert_eq!(names("娘のはなちゃんは"), ["はな"]);
        assert_eq!(names("昨日、山田花子さんに会いました"), ["山田花子"]);
        assert_eq!(names("工藤 美咲様"), ["工藤 美咲"]);
        assert_eq!(names("担任の田中花子先生"), ["田中花子"]);
        assert_eq!(names("森花子さんと林健太くん"), ["森花子", "林健太"]);
        assert_eq!(names("佐藤はなこちゃん"), ["佐藤はなこ"]);
        assert_eq!(names("青森市の山田花子です"), ["山田花子"]);
    }

    #[test]
    fn roles_and_family_names_alone_are_not_names() {
        for text in [
            "保健師さんに相談しました",
            "先生に聞きました",
            "ママさんたちと話しました",
            "お母さんが心配です",
            "田中さんに教えてもらいました",
            "私は保育士です",
            "一児の母と申します",
            "息子の保育園が決まりました",
            "息子の様子が心配です",
            "娘の赤ちゃん返り",
            "息子のお兄ちゃんが",
            "名前は大事です",
            "森のくまさん",
            "山本病院さんで",
            "お客様",
            "田中です",
            "上田市です",
            "今日です",
            "原材料です",
            "関係者様",
            "私は今日、病院に行きました",
            "私は東京出身です",
            "私は中野区に住んでいます",
            "東京都です",
        ] {
            assert_eq!(names(text), Vec::<String>::new(), "{text}");
        }
    }
}
