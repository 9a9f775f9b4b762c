//! A union of scored clauses that moves each clause only as far as it is asked to.
//!
//! tantivy's `BooleanQuery` of `Should` clauses answers a seek by evaluating every clause over the
//! next 4,096 documents (it buffers a window of scores). Behind a selective filter (a
//! municipality's programs, a few hundred of 100,000, far apart) nearly every seek lands outside
//! that window, so each one verified the phrases of thousands of programs the filter then threw
//! away. This union keeps no window: a seek moves each clause to the target and no further, so
//! that phrase positions are read only for the programs the filter lets through. It scores a
//! document as the sum of its matching clauses' scores, as the boolean union does. Visiting every
//! match, the buffered union is the faster: [`Unions`] says which a search uses.

use tantivy::query::{BooleanQuery, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// Which union a query's alternatives are combined with. tantivy's buffered union is the faster
/// when every match is visited (a search without a selective filter: a sentence's loose query may
/// match most programs, through dozens of clauses); [`SeekingUnion`] when a selective filter leads
/// and the text is asked only about the programs the filter lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unions {
    Buffered,
    Seeking,
}

impl Unions {
    /// Documents that match any clause, scored by the sum of those that match.
    pub fn any(self, clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
        self.at_least(clauses, 1)
    }

    /// Documents that match at least `minimum` clauses, scored by the sum of those that match.
    pub fn at_least(self, clauses: Vec<Box<dyn Query>>, minimum: usize) -> Box<dyn Query> {
        match (self, minimum) {
            (Self::Buffered, 0 | 1) => Box::new(BooleanQuery::union(clauses)),
            (Self::Buffered, _) => Box::new(BooleanQuery::union_with_minimum_required_clauses(
                clauses, minimum,
            )),
            (Self::Seeking, _) => Box::new(SeekingUnion::at_least(clauses, minimum)),
        }
    }
}

/// Documents that match at least `minimum` of the clauses (one by default), scored by the sum of
/// the clauses that match.
#[derive(Debug)]
pub struct SeekingUnion {
    clauses: Vec<Box<dyn Query>>,
    minimum: usize,
}

impl SeekingUnion {
    pub fn new(clauses: Vec<Box<dyn Query>>) -> Self {
        Self::at_least(clauses, 1)
    }

    pub fn at_least(clauses: Vec<Box<dyn Query>>, minimum: usize) -> Self {
        Self {
            clauses,
            minimum: minimum.max(1),
        }
    }
}

impl Clone for SeekingUnion {
    fn clone(&self) -> Self {
        Self {
            clauses: self.clauses.iter().map(|clause| clause.box_clone()).collect(),
            minimum: self.minimum,
        }
    }
}

impl Query for SeekingUnion {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|clause| clause.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(SeekingUnionWeight {
            weights,
            minimum: self.minimum,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

struct SeekingUnionWeight {
    weights: Vec<Box<dyn Weight>>,
    minimum: usize,
}

impl Weight for SeekingUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        if scorers.len() < self.minimum {
            return Ok(Box::new(EmptyScorer));
        }
        if scorers.len() == 1 {
            return Ok(scorers.remove(0));
        }
        let mut union = SeekingUnionScorer {
            scorers,
            minimum: self.minimum,
            doc: 0,
        };
        union.settle();
        Ok(Box::new(union))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let matching: Vec<Explanation> = self
            .weights
            .iter()
            .filter_map(|weight| weight.explain(reader, doc).ok())
            .collect();
        if matching.len() < self.minimum {
            return Err(TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        let total: Score = matching.iter().map(Explanation::value).sum();
        let mut explanation = Explanation::new("sum of the matching clauses", total);
        for clause in matching {
            explanation.add_detail(clause);
        }
        Ok(explanation)
    }
}

struct SeekingUnionScorer {
    /// A clause that has run out stays, positioned at `TERMINATED`.
    scorers: Vec<Box<dyn Scorer>>,
    minimum: usize,
    doc: DocId,
}

impl SeekingUnionScorer {
    /// The lowest document any clause is on, and how many clauses are on it.
    fn lowest(&self) -> (DocId, usize) {
        let mut lowest = TERMINATED;
        let mut count = 0;
        for doc in self.scorers.iter().map(|scorer| scorer.doc()) {
            if doc < lowest {
                (lowest, count) = (doc, 1);
            } else if doc == lowest {
                count += 1;
            }
        }
        (lowest, count)
    }

    /// From clauses each on its next candidate, on to the first document enough of them match.
    fn settle(&mut self) -> DocId {
        loop {
            let (doc, count) = self.lowest();
            if doc == TERMINATED || count >= self.minimum {
                self.doc = doc;
                return doc;
            }
            self.step_past(doc);
        }
    }

    fn step_past(&mut self, doc: DocId) {
        for scorer in &mut self.scorers {
            if scorer.doc() == doc {
                scorer.advance();
            }
        }
    }
}

impl DocSet for SeekingUnionScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.step_past(self.doc);
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() < target {
                scorer.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .map(|scorer| scorer.size_hint())
            .fold(0u32, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.scorers
            .iter()
            .map(|scorer| scorer.cost())
            .fold(0u64, u64::saturating_add)
    }
}

impl Scorer for SeekingUnionScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        self.scorers
            .iter_mut()
            .filter(|scorer| scorer.doc() == doc)
            .map(|scorer| scorer.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, TantivyDocument};

    use super::*;

    /// Documents of words, and a `kept` field that a filter selects every seventh of.
    fn index() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let kept = schema.add_text_field("kept", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer(15_000_000).expect("a writer");
        let words = ["alpha", "beta", "gamma", "delta"];
        for number in 0..10_000usize {
            let mut document = TantivyDocument::default();
            let chosen: Vec<&str> = words
                .iter()
                .enumerate()
                .filter(|(position, _)| number % (position + 2) == 0)
                .map(|(_, word)| *word)
                .collect();
            document.add_text(text, chosen.join(" "));
            let kept_value = if number % 7 == 0 { "yes" } else { "no" };
            document.add_text(kept, kept_value);
            writer.add_document(document).expect("added");
        }
        writer.commit().expect("committed");
        (index, text, kept)
    }

    fn terms(field: tantivy::schema::Field, words: &[&str]) -> Vec<Box<dyn Query>> {
        words
            .iter()
            .map(|word| {
                let term = Term::from_field_text(field, word);
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>
            })
            .collect()
    }

    fn filtered(field: tantivy::schema::Field, query: Box<dyn Query>) -> BooleanQuery {
        let kept = Term::from_field_text(field, "yes");
        BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(kept, IndexRecordOption::Basic)),
            ),
            (Occur::Must, query),
        ])
    }

    /// Every match with its score, best first.
    fn results(index: &Index, query: &dyn Query) -> (usize, Vec<(u32, DocAddress)>) {
        let searcher = index.reader().expect("a reader").searcher();
        let (count, top) = searcher
            .search(query, &(Count, TopDocs::with_limit(20_000).order_by_score()))
            .expect("searched");
        let scored = top
            .into_iter()
            .map(|(score, address)| ((score * 1e4).round() as u32, address))
            .collect();
        (count, scored)
    }

    #[test]
    fn matches_and_scores_as_the_boolean_union_does() {
        let (index, text, kept) = index();
        let words = ["alpha", "gamma", "delta"];
        let union = SeekingUnion::new(terms(text, &words));
        let boolean = BooleanQuery::union(terms(text, &words));
        let found = results(&index, &union);
        assert!(found.0 > 1_000, "{}", found.0);
        assert_eq!(found, results(&index, &boolean));
        let behind_filter = results(&index, &filtered(kept, Box::new(union)));
        assert!(behind_filter.0 > 100, "{}", behind_filter.0);
        assert_eq!(behind_filter, results(&index, &filtered(kept, Box::new(boolean))));
    }

    #[test]
    fn at_least_counts_the_clauses_a_document_matches() {
        let (index, text, kept) = index();
        let words = ["alpha", "beta", "gamma", "delta"];
        let union = SeekingUnion::at_least(terms(text, &words), 3);
        let boolean = BooleanQuery::union_with_minimum_required_clauses(terms(text, &words), 3);
        let found = results(&index, &union);
        assert!(found.0 > 100, "{}", found.0);
        assert_eq!(found, results(&index, &boolean));
        let behind_filter = results(&index, &filtered(kept, Box::new(union)));
        assert_eq!(behind_filter, results(&index, &filtered(kept, Box::new(boolean))));
    }

    #[test]
    fn a_union_of_nothing_matches_nothing() {
        let (index, text, _) = index();
        let union = SeekingUnion::new(terms(text, &["epsilon"]));
        assert_eq!(results(&index, &union).0, 0);
        let too_few = SeekingUnion::at_least(terms(text, &["alpha", "epsilon"]), 2);
        assert_eq!(results(&index, &too_few).0, 0);
    }
}
