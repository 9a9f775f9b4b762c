//! Parents type sentences, not keywords: 「妊娠したら」, 「保育園に入りたい」,
//! 「子どもが熱を出したらどこに相談すればいい？」. A run of text that mixes ひらがな with kanji
//! or カタカナ is cut into morphemes by the dictionary the index already reads with (IPADIC), and
//! only what can name a program is kept: nouns, joined back into the compound they form (児童 +
//! 手当 → 児童手当, 医療 + 費 → 医療費), and verbs that are not in the light-verb list
//! (`search/light-verbs.txt`). Particles, auxiliary verbs (たら, たい, ば), pronouns and question
//! words, symbols and adverbs are dropped. Without a dictionary the text stays as typed.

use std::collections::HashSet;

use crate::query::{fold_kana, normalize};

/// The verbs and adjectives the product ships as carrying no program meaning.
pub const DEFAULT_LIGHT_VERBS: &str = include_str!("../light-verbs.txt");

/// One morpheme as IPADIC describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morpheme {
    pub surface: String,
    /// 品詞: 名詞, 動詞, 助詞…; `*` when unknown.
    pub part_of_speech: String,
    /// 品詞細分類1: 一般, サ変接続, 代名詞, 非自立, 接尾…
    pub subcategory: String,
    /// The dictionary form of an inflected word (入り → 入る), when the dictionary knows it.
    pub base_form: Option<String>,
}

/// What a morpheme does in a parent's sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Part of a compound noun: joined with its neighbours of the same role.
    Noun,
    /// A verb that names something (預ける): a word of its own.
    Verb,
    /// Says nothing about which program: ends the compound before it.
    Dropped,
}

/// One word per line, `#` starts a comment; normalised as queries are, with the kana folded.
pub fn parse_word_list(text: &str) -> HashSet<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|word| !word.is_empty())
        .map(|word| fold_kana(&normalize(word)))
        .collect()
}

/// Whether a run of text (no spaces) reads as a sentence: ひらがな next to kanji, カタカナ, letters
/// or digits. A run of ひらがな alone (じどうてあて) is matched by reading, and a run without
/// ひらがな (児童手当, 1歳半健診) is already a keyword.
pub fn is_sentence(run: &str) -> bool {
    run.chars().any(is_hiragana) && run.chars().any(|c| c.is_alphanumeric() && !is_hiragana(c))
}

pub(crate) fn is_hiragana(character: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&character)
}

/// The words of a sentence that can name a program, in order, as typed (not yet kana-folded).
pub fn content_words(morphemes: &[Morpheme], light_verbs: &HashSet<String>) -> Vec<String> {
    let mut words = Vec::new();
    let mut compound = String::new();
    for morpheme in morphemes {
        let role = role(morpheme, light_verbs);
        if role == Role::Noun {
            compound.push_str(&morpheme.surface);
            continue;
        }
        if !compound.is_empty() {
            words.push(std::mem::take(&mut compound));
        }
        if role == Role::Verb {
            words.push(morpheme.surface.clone());
        }
    }
    if !compound.is_empty() {
        words.push(compound);
    }
    words
}

fn role(morpheme: &Morpheme, light_verbs: &HashSet<String>) -> Role {
    // IPADIC calls an unknown symbol (？, ～) a noun.
    if !morpheme.surface.chars().any(char::is_alphanumeric) {
        return Role::Dropped;
    }
    match (morpheme.part_of_speech.as_str(), morpheme.subcategory.as_str()) {
        // Pronouns (どこ, 何) ask; 非自立 nouns (こと, ため, の) lean on the words around them.
        ("名詞", "代名詞" | "非自立") => Role::Dropped,
        // Numbers and suffixes belong to the noun they follow (3 + 歳 + 児, 医療 + 費).
        ("名詞" | "接頭詞", _) => Role::Noun,
        // A verb written without kana is a piece of a kanji compound the dictionary lacks (健診 →
        // 健 + 診る).
        ("動詞", _) if !morpheme.surface.chars().any(is_hiragana) => Role::Noun,
        ("動詞", "自立") => {
            let base = morpheme.base_form.as_deref().unwrap_or(&morpheme.surface);
            match light_verbs.contains(&fold_kana(&normalize(base))) {
                true => Role::Dropped,
                false => Role::Verb,
            }
        }
        _ => Role::Dropped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn morpheme(surface: &str, part_of_speech: &str, subcategory: &str, base: Option<&str>) -> Morpheme {
        Morpheme {
            surface: surface.into(),
            part_of_speech: part_of_speech.into(),
            subcategory: subcategory.into(),
            base_form: base.map(Into::into),
        }
    }

    #[test]
    fn sentences_mix_hiragana_with_other_letters() {
        assert!(is_sentence("妊娠したら"));
        assert!(is_sentence("保育園に入りたい"));
        assert!(!is_sentence("じどうてあて"));
        assert!(!is_sentence("児童手当"));
        assert!(!is_sentence("1歳半健診"));
    }

    #[test]
    fn nouns_join_and_light_verbs_and_pronouns_drop() {
        let light = parse_word_list(DEFAULT_LIGHT_VERBS);
        let sentence = [
            morpheme("子ども", "名詞", "一般", None),
            morpheme("を", "助詞", "格助詞", None),
            morpheme("預け", "動詞", "自立", Some("預ける")),
            morpheme("て", "助詞", "接続助詞", None),
            morpheme("どこ", "名詞", "代名詞", None),
            morpheme("で", "助詞", "格助詞", None),
            morpheme("医療", "名詞", "一般", None),
            morpheme("費", "名詞", "接尾", None),
            morpheme("を", "助詞", "格助詞", None),
            morpheme("働き", "動詞", "自立", Some("働く")),
            morpheme("入り", "動詞", "自立", Some("入る")),
            morpheme("たい", "助動詞", "*", None),
        ];
        assert_eq!(
            content_words(&sentence, &light),
            ["子ども", "預け", "医療費", "働き"]
        );
    }

    #[test]
    fn the_shipped_light_verbs_are_folded() {
        let light = parse_word_list(DEFAULT_LIGHT_VERBS);
        assert!(light.contains("する"));
        assert!(light.contains("入る"));
        assert!(!light.iter().any(|word| word.starts_with('#')));
    }
}
