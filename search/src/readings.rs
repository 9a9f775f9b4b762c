//! The IPADIC dictionary as the index uses it: the ひらがな reading of program names and summaries
//! (so じどうてあて finds 児童手当), and morphemes as an alternative analysis of the text fields,
//! kept for the relevance comparison. Readings are optional: without the dictionary's sources the
//! index runs on two-character pieces alone.

use std::path::Path;
use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::analyzer::TextAnalysis;
use crate::morphology::{Morphology, MorphologyError, prepare_dictionary};
use crate::reader::Reader;
use crate::sentence::Morpheme;

impl Reader for Morphology {
    fn dictionary(&self) -> String {
        format!("ipadic-lindera-{}", lindera::get_version())
    }

    fn reading(&self, text: &str) -> String {
        Morphology::reading(self, text)
    }

    fn morphemes(&self, text: &str) -> Vec<Morpheme> {
        Morphology::morphemes(self, text)
    }
}

impl TextAnalysis for Morphology {
    fn name(&self) -> String {
        format!("ipadic-morphemes-lindera-{}", lindera::get_version())
    }

    fn tokens(&self, text: &str) -> Vec<Token> {
        let mut tokenizer = self.tokenizer();
        let mut stream = tokenizer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().clone());
        }
        tokens
    }
}

/// The reading dictionary built from the IPADIC sources in `source_dir` (see
/// `scripts/ensure-ipadic.sh`), cached beside them, or `None` when there are no sources.
pub fn load_readings(source_dir: &Path) -> Result<Option<Arc<Morphology>>, MorphologyError> {
    if !source_dir.join(".complete").is_file() {
        return Ok(None);
    }
    let cache_dir = source_dir.parent().unwrap_or(source_dir);
    let dictionary = prepare_dictionary(source_dir, cache_dir)?;
    Morphology::load(&dictionary).map(|morphology| Some(Arc::new(morphology)))
}
