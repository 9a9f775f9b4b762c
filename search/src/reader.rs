//! What the index asks of a dictionary, when there is one: readings for program text, morphemes
//! for parents' sentences. Its own module so that the index and the query builder both use it
//! without using each other.

use crate::sentence::Morpheme;

/// Computes the ひらがな reading of a text, when a dictionary is available.
pub trait Reader: Send + Sync + std::fmt::Debug {
    /// Names the dictionary, so that an index built with another one is rebuilt.
    fn dictionary(&self) -> String;
    fn reading(&self, text: &str) -> String;
    /// The morphemes of a run of text, for cutting a parent's sentence into words; none when the
    /// reader cannot tell them.
    fn morphemes(&self, _text: &str) -> Vec<Morpheme> {
        Vec::new()
    }
}
