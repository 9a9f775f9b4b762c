//! What a parent is offered when a search finds nothing, so that no search ends empty-handed:
//! words near hers that do find programs, the same search in the whole prefecture when her
//! municipality emptied it, and whom to ask (the consultation programs that apply to her).

use std::collections::HashSet;

use kosodate_registry::Category;
use serde::Serialize;

use crate::compose::{Word, words};
use crate::document::ProgramCard;
use crate::error::SearchError;
use crate::index::SearchIndex;
use crate::query::{SearchQuery, fold_kana, normalize};
use crate::request::{MatchMode, SearchRequest};
use crate::synonyms::DEFAULT_SYNONYMS;

/// The words offered after the closest ones (see the file).
pub const DEFAULT_SUGGESTED_WORDS: &str = include_str!("../suggested-words.txt");

/// At most this many words are offered, and this many candidates tried for them.
const MAX_WORDS: usize = 5;
const MAX_TRIED: usize = 16;
const MAX_CONSULTATION: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordSuggestion {
    /// As a parent reads it (kana as written, not folded).
    pub word: String,
    /// How many programs it finds under the same filters.
    pub total: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Suggestions {
    pub words: Vec<WordSuggestion>,
    /// How many programs the same search finds without the municipality filter, when it had one
    /// and that finds any.
    pub prefecture_total: Option<usize>,
    /// Consultation programs for residents of the filtered municipality (or all of them).
    pub consultation: Vec<ProgramCard>,
}

impl SearchIndex {
    /// Suggestions for a search that found nothing; every one of them finds something.
    pub fn suggest(&self, request: &SearchRequest) -> Result<Suggestions, SearchError> {
        Ok(Suggestions {
            words: self.nearby_words(request)?,
            prefecture_total: self.in_prefecture(request)?,
            consultation: self.consultation(request)?,
        })
    }

    /// Synonyms of the query's words, then the vocabulary by the characters it shares with the
    /// query, then the shipped list; each kept if it finds programs with every word.
    fn nearby_words(&self, request: &SearchRequest) -> Result<Vec<WordSuggestion>, SearchError> {
        let Some(query) = &request.query else {
            return Ok(Vec::new());
        };
        let query_words = words(query, &self.synonyms, &self.stopwords, self.segmentation());
        let typed: HashSet<String> = query_words
            .iter()
            .filter_map(Word::typed)
            .map(str::to_owned)
            .collect();
        let synonyms = query_words
            .iter()
            .flat_map(|word| word.variants.iter().skip(1).map(|(text, _)| text.clone()));
        let mut candidates: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = typed.clone();
        for candidate in synonyms
            .chain(by_shared_characters(&typed))
            .chain(vocabulary(DEFAULT_SUGGESTED_WORDS))
        {
            if seen.insert(fold_kana(&normalize(&candidate))) {
                candidates.push(candidate);
            }
        }
        let mut found = Vec::new();
        for candidate in candidates.into_iter().take(MAX_TRIED) {
            let Ok(parsed) = SearchQuery::parse(&candidate) else {
                continue;
            };
            let mut attempt = request.clone();
            attempt.query = Some(parsed);
            attempt.offset = 0;
            attempt.limit = 1;
            let results = self.search(&attempt)?;
            if results.mode == MatchMode::AllWords && results.total > 0 {
                found.push(WordSuggestion {
                    word: candidate,
                    total: results.total,
                });
            }
            if found.len() == MAX_WORDS {
                break;
            }
        }
        Ok(found)
    }

    fn in_prefecture(&self, request: &SearchRequest) -> Result<Option<usize>, SearchError> {
        if request.municipality.is_none() {
            return Ok(None);
        }
        let mut wider = request.clone();
        wider.municipality = None;
        wider.offset = 0;
        wider.limit = 1;
        let total = self.search(&wider)?.total;
        Ok((total > 0).then_some(total))
    }

    fn consultation(&self, request: &SearchRequest) -> Result<Vec<ProgramCard>, SearchError> {
        let mut contacts = SearchRequest::new(None, request.today);
        contacts.municipality = request.municipality;
        contacts.categories = vec![Category::Consultation];
        contacts.limit = MAX_CONSULTATION;
        let results = self.search(&contacts)?;
        Ok(results.hits.iter().map(|hit| hit.program.clone()).collect())
    }
}

/// The words of a word list (the synonyms, the shipped suggestions), as written.
fn vocabulary(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .flat_map(str::split_whitespace)
        .map(normalize)
        .collect()
}

/// The vocabulary's words that share a kanji, letter or digit with one of the typed (kana-folded)
/// words, most shared first.
fn by_shared_characters(typed: &HashSet<String>) -> Vec<String> {
    let wanted: HashSet<char> = typed
        .iter()
        .flat_map(|word| word.chars())
        .filter(|character| character.is_alphanumeric() && !crate::sentence::is_hiragana(*character))
        .collect();
    let mut scored: Vec<(usize, String)> = vocabulary(DEFAULT_SYNONYMS)
        .into_iter()
        .chain(vocabulary(DEFAULT_SUGGESTED_WORDS))
        .map(|word| {
            let folded = fold_kana(&word);
            let shared = wanted
                .iter()
                .filter(|character| folded.contains(**character))
                .count();
            (shared, word)
        })
        .filter(|(shared, _)| *shared > 0)
        .collect();
    scored.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
    scored.into_iter().map(|(_, word)| word).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_sharing_characters_come_first() {
        let typed: HashSet<String> = ["保育".to_owned()].into();
        let near = by_shared_characters(&typed);
        assert!(near.iter().take(6).any(|word| word == "保育園"), "{near:?}");
        assert!(!near.iter().any(|word| word == "児童手当"), "{near:?}");
    }

    #[test]
    fn the_vocabulary_keeps_kana_as_written() {
        let words = vocabulary(DEFAULT_SYNONYMS);
        assert!(words.iter().any(|word| word == "ファミサポ"));
        assert!(!words.iter().any(|word| word.starts_with('#')));
    }
}
