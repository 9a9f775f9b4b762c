//! How an error is written down in logs and delivery records: with every cause, on one line.

use std::error::Error;

/// The error and its sources, joined by ": ". A cause whose text the line already holds (a
/// wrapper that repeats its source, as lettre's and reqwest's do) is not repeated.
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("saving the program failed")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("database is locked")]
    struct Inner;

    #[derive(Debug, thiserror::Error)]
    #[error("relay refused: database is locked")]
    struct Repeating(#[source] Inner);

    #[test]
    fn every_cause_once() {
        assert_eq!(
            error_chain(&Outer(Inner)),
            "saving the program failed: database is locked"
        );
        assert_eq!(
            error_chain(&Repeating(Inner)),
            "relay refused: database is locked"
        );
    }
}
