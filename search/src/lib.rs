//! Program search. It owns the tantivy index of published programs and everything a query goes
//! through before it reaches it: width and case normalisation, the ひらがな/カタカナ fold, the
//! two-character pieces that let Japanese be searched without a dictionary, synonyms and question
//! words as data, ranking and filters, and what the search log may keep (never a query that looks
//! like personal data). It must not depend on the households crate, the notifier or HTTP: search
//! sees programs and query text, never a household.

mod analyzer;
mod compose;
mod document;
mod error;
mod follow;
mod index;
pub mod log;
#[cfg(feature = "morphology")]
pub mod morphology;
mod query;
mod reader;
#[cfg(feature = "morphology")]
pub mod readings;
mod request;
mod searcher;
mod sentence;
mod suggest;
mod synonyms;

pub use analyzer::{
    AnalysisTokenizer, BigramTokenizer, Bigrams, TEXT_ANALYZER, TextAnalysis, bigrams, normalize_mapped,
};
pub use document::{ProgramCard, SCHEMA_VERSION};
pub use error::SearchError;
pub use follow::{Applied, IndexFollower, POLL_INTERVAL};
pub use index::{Indexed, Manifest, Opened, SearchIndex};
pub use query::{MAX_QUERY_CHARS, SearchQuery, SearchQueryError, fold_kana, looks_personal, normalize};
pub use reader::Reader;
pub use request::{
    FacetCount, Facets, MAX_PAGE, MatchMode, SearchHit, SearchRequest, SearchResults, Snippet,
};
pub use sentence::{DEFAULT_LIGHT_VERBS, Morpheme, content_words, is_sentence, parse_word_list};
pub use suggest::{DEFAULT_SUGGESTED_WORDS, Suggestions, WordSuggestion};
pub use synonyms::{DEFAULT_SYNONYMS, Expansion, SynonymError, Synonyms};
