//! How program text and queries become index terms without a dictionary: the text is normalised
//! the way queries are (NFKC, lower case, カタカナ → ひらがな) while every normalised character
//! remembers where it came from in the original, so that snippets highlight the original text;
//! then each run of letters becomes overlapping two-character terms (児童手当 → 児童, 童手, 手当),
//! and a run of one character becomes that character.

use tantivy::tokenizer::{BoxTokenStream, Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::query::{fold_kana, fold_kana_char};

/// The name the text fields' analyzer is registered under in the index.
pub const TEXT_ANALYZER: &str = "ja_text";

/// How program text and query words become terms. The same analysis must run on both sides: the
/// query builder asks it for a word's terms and their positions.
pub trait TextAnalysis: Send + Sync + std::fmt::Debug {
    /// Names the analysis, so that an index built with another one is rebuilt: change the name
    /// whenever the terms change (the normalisation included).
    fn name(&self) -> String;
    fn tokens(&self, text: &str) -> Vec<Token>;

    /// The tokens one at a time, for indexing and snippets, which analyse whole descriptions:
    /// by default from [`TextAnalysis::tokens`].
    fn token_stream<'a>(&self, text: &'a str) -> BoxTokenStream<'a> {
        BoxTokenStream::new(TokenList {
            tokens: self.tokens(text),
            next: 0,
        })
    }
}

/// Two-character pieces: needs no dictionary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bigrams;

impl TextAnalysis for Bigrams {
    fn name(&self) -> String {
        "bigram-2".into()
    }

    fn tokens(&self, text: &str) -> Vec<Token> {
        bigrams(text)
    }

    fn token_stream<'a>(&self, text: &'a str) -> BoxTokenStream<'a> {
        BoxTokenStream::new(BigramTokenStream::new(text))
    }
}

/// A [`TextAnalysis`] as a tantivy tokenizer.
#[derive(Debug, Clone)]
pub struct AnalysisTokenizer(pub std::sync::Arc<dyn TextAnalysis>);

impl Tokenizer for AnalysisTokenizer {
    type TokenStream<'a> = BoxTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.0.token_stream(text)
    }
}

/// Tokens made all at once, handed out one at a time.
#[derive(Debug)]
struct TokenList {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for TokenList {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// One normalised character and the byte range of the original text it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappedChar {
    pub character: char,
    pub start: usize,
    pub end: usize,
}

/// Half-width voiced sound marks follow their kana as separate characters; NFKC joins them.
fn joins_previous(character: char) -> bool {
    is_combining_mark(character) || matches!(character, '\u{FF9E}' | '\u{FF9F}')
}

/// Normalises `text` cluster by cluster (a character with the marks that follow it), so that each
/// output character maps back to the original bytes of its cluster.
pub fn normalize_mapped(text: &str) -> Vec<MappedChar> {
    let mut mapped = Vec::with_capacity(text.len() / 2);
    let mut clusters = text.char_indices().peekable();
    while let Some((start, first)) = clusters.next() {
        let mut end = start + first.len_utf8();
        while let Some(&(offset, next)) = clusters.peek() {
            if !joins_previous(next) {
                break;
            }
            end = offset + next.len_utf8();
            clusters.next();
        }
        if end == start + first.len_utf8()
            && let Some(character) = stable(first)
        {
            mapped.push(MappedChar {
                character,
                start,
                end,
            });
            continue;
        }
        let normalized: String = text[start..end].nfkc().flat_map(char::to_lowercase).collect();
        mapped.extend(fold_kana(&normalized).chars().map(|character| MappedChar {
            character,
            start,
            end,
        }));
    }
    mapped
}

/// The normalised form of a character that NFKC leaves as it is and that has at most an ASCII
/// lower case (most of what programs are written in: ASCII, かな and kanji), without the
/// allocations of the general path; `None` for the others. Snippets analyse whole summaries and
/// descriptions for each result, so this path is most of a search's analysis.
fn stable(character: char) -> Option<char> {
    match character {
        '\0'..='\x7f' => Some(character.to_ascii_lowercase()),
        '\u{3041}'..='\u{3096}' | '\u{30a1}'..='\u{30fa}' | 'ー' | '\u{4e00}'..='\u{9fff}' => {
            Some(fold_kana_char(character))
        }
        _ => None,
    }
}

/// Characters that make up words; everything else separates them.
fn is_word_char(character: char) -> bool {
    character.is_alphanumeric() || matches!(character, 'ー' | '々' | '〆' | 'ヶ')
}

/// Tokenizes normalised text into bigrams (and lone characters), with positions counted in
/// characters so that a phrase of bigrams matches the query word as a contiguous substring.
#[derive(Debug, Clone, Default)]
pub struct BigramTokenizer;

/// The bigrams of a text, made one at a time into the same token: a description of some thousand
/// characters is as many tokens, and indexing and every snippet analyse whole descriptions, so a
/// string per token was most of their time.
#[derive(Debug)]
pub struct BigramTokenStream {
    mapped: Vec<MappedChar>,
    /// The character the next token may start at.
    next: usize,
    token: Token,
}

impl BigramTokenStream {
    fn new(text: &str) -> Self {
        Self {
            mapped: normalize_mapped(text),
            next: 0,
            token: Token::default(),
        }
    }

    fn is_word_at(&self, index: usize) -> bool {
        self.mapped
            .get(index)
            .is_some_and(|mapped| is_word_char(mapped.character))
    }

    /// The token of the characters from `start` to `end` (included), at position `start`.
    fn set_token(&mut self, start: usize, end: usize) {
        debug_assert!(start <= end && end < self.mapped.len());
        let chars = &self.mapped[start..=end];
        self.token.text.clear();
        self.token
            .text
            .extend(chars.iter().map(|mapped| mapped.character));
        self.token.offset_from = chars[0].start;
        self.token.offset_to = chars[chars.len() - 1].end;
        self.token.position = start;
        self.token.position_length = 1;
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = BigramTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        BigramTokenStream::new(text)
    }
}

impl TokenStream for BigramTokenStream {
    /// Each two adjacent word characters, or the character of a one-character word.
    fn advance(&mut self) -> bool {
        while self.next < self.mapped.len() {
            let start = self.next;
            self.next += 1;
            if !self.is_word_at(start) {
                continue;
            }
            if self.is_word_at(start + 1) {
                self.set_token(start, start + 1);
                return true;
            }
            // The last character of a longer word was the second of the bigram before it.
            if start == 0 || !self.is_word_at(start - 1) {
                self.set_token(start, start);
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The terms of `text`: every two adjacent word characters, or the character of a one-character
/// word. Positions are character positions in the normalised text.
pub fn bigrams(text: &str) -> Vec<Token> {
    let mut stream = BigramTokenStream::new(text);
    let mut tokens = Vec::with_capacity(stream.mapped.len());
    while stream.advance() {
        tokens.push(stream.token.clone());
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        bigrams(text).into_iter().map(|token| token.text).collect()
    }

    #[test]
    fn runs_become_bigrams_and_lone_characters_stay() {
        assert_eq!(terms("児童手当"), ["児童", "童手", "手当"]);
        assert_eq!(terms("子ども・子育て"), ["子ど", "ども", "子育", "育て"]);
        assert_eq!(terms("市 の 手当"), ["市", "の", "手当"]);
    }

    #[test]
    fn width_case_and_kana_are_folded() {
        assert_eq!(terms("ｼﾞﾄﾞｳ"), ["じど", "どう"]);
        assert_eq!(terms("ＬＩＮＥ３"), ["li", "in", "ne", "e3"]);
        assert_eq!(terms("ファミサポ"), terms("ふぁみさぽ"));
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ｼﾞﾄﾞｳ手当（３歳）";
        for token in bigrams(text) {
            let original = &text[token.offset_from..token.offset_to];
            assert!(!original.is_empty(), "{token:?}");
        }
        let tokens = bigrams(text);
        assert_eq!(&text[tokens[0].offset_from..tokens[0].offset_to], "ｼﾞﾄﾞ");
        let last = tokens
            .last()
            .map(|token| &text[token.offset_from..token.offset_to]);
        assert_eq!(last, Some("３歳"));
    }

    #[test]
    fn the_fast_path_normalises_as_nfkc_does() {
        let ranges = [
            '\0'..='\x7f',
            '\u{3041}'..='\u{3096}',
            '\u{30a1}'..='\u{30fa}',
            '\u{4e00}'..='\u{9fff}',
        ];
        for character in ranges.into_iter().flatten().chain(['ー']) {
            let general: String = fold_kana(
                &character
                    .to_string()
                    .nfkc()
                    .flat_map(char::to_lowercase)
                    .collect::<String>(),
            );
            assert_eq!(
                stable(character).map(String::from),
                Some(general),
                "{character:?}"
            );
        }
    }

    #[test]
    fn positions_are_character_positions() {
        let positions: Vec<usize> = bigrams("手当 いつまで")
            .iter()
            .map(|token| token.position)
            .collect();
        assert_eq!(positions, [0, 3, 4, 5]);
    }
}
