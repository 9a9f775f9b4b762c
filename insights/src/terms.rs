//! The terms of a text: the words that can name a need, as IPADIC cuts them (nouns joined into
//! their compounds, verbs that are not light), through the search crate's analysis so that
//! staff see the words program search understands. Without a dictionary a text is one term: its
//! normalised self.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use kosodate_search::{DEFAULT_LIGHT_VERBS, Reader, content_words, normalize, parse_word_list};

/// Longer terms are pasted text, not words; they would also not fit their column.
const MAX_TERM_CHARS: usize = 50;

#[derive(Debug, Clone)]
pub(crate) struct TermAnalyzer {
    reader: Option<Arc<dyn Reader>>,
    light_verbs: Arc<HashSet<String>>,
}

impl TermAnalyzer {
    pub(crate) fn new(reader: Option<Arc<dyn Reader>>) -> Self {
        Self {
            reader,
            light_verbs: Arc::new(parse_word_list(DEFAULT_LIGHT_VERBS)),
        }
    }

    pub(crate) fn has_dictionary(&self) -> bool {
        self.reader.is_some()
    }

    /// Each term once, however often the text repeats it: a use is a search or a question.
    pub(crate) fn terms(&self, text: &str) -> BTreeSet<String> {
        let normalized = normalize(text);
        let words: Vec<String> = match &self.reader {
            None => vec![normalized],
            Some(reader) => runs(&normalized)
                .flat_map(|run| {
                    let morphemes = reader.morphemes(run);
                    match morphemes.is_empty() {
                        true => vec![run.to_owned()],
                        false => content_words(&morphemes, &self.light_verbs),
                    }
                })
                .collect(),
        };
        words
            .into_iter()
            .filter(|word| !word.is_empty() && word.chars().count() <= MAX_TERM_CHARS)
            .collect()
    }
}

/// Pieces of text between spaces and punctuation: the analyzer reads one at a time.
fn runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        c.is_whitespace() || (c.is_ascii_punctuation() || "、。，．・！？「」『』（）【】".contains(c))
    })
    .filter(|run| !run.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_dictionary_a_query_is_one_term() {
        let analyzer = TermAnalyzer::new(None);
        assert_eq!(
            analyzer.terms("　児童手当　"),
            BTreeSet::from(["児童手当".to_owned()])
        );
        assert!(analyzer.terms("   ").is_empty());
    }
}
