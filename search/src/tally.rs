//! Counting a search's matches by owner and by category, from two numeric fast fields.
//!
//! tantivy's `FacetCollector` maps every facet term of every segment to its bucket before
//! counting and turns each counted bucket back into its term after: a few milliseconds per search
//! at national scale (about 1,800 owners in each of a dozen segments), whatever the number of
//! matches. Here a match costs two column reads, and what is counted is named once, at the end.

use std::sync::Arc;

use kosodate_domain::Vocabulary;
use kosodate_registry::Category;
use rustc_hash::FxHashMap;
use strum::VariantArray;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::ColumnValues;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::document::{CATEGORIES_FIELD, OWNER_FIELD, owner_key};
use crate::request::{FacetCount, MAX_OWNER_FACETS};

/// One count per category: the list is short (ten today), and this says so at compile time.
const CATEGORY_SLOTS: usize = 32;
const _: () = assert!(Category::VARIANTS.len() <= CATEGORY_SLOTS);

/// Counts the matches by owner and by category.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally;

/// The matches of a search by owner and by category.
#[derive(Debug, Default)]
pub struct Tallies {
    owners: FxHashMap<u64, u64>,
    categories: [u64; CATEGORY_SLOTS],
}

impl Tallies {
    /// Owners by key, the most frequent first, at most [`MAX_OWNER_FACETS`] of them.
    pub fn owners(&self) -> Vec<FacetCount> {
        let mut owners = sorted(
            self.owners
                .iter()
                .map(|(number, count)| (owner_key(*number), *count)),
        );
        owners.truncate(MAX_OWNER_FACETS);
        owners
    }

    /// Categories by id, the most frequent first.
    pub fn categories(&self) -> Vec<FacetCount> {
        sorted(
            Category::VARIANTS
                .iter()
                .zip(self.categories)
                .filter(|(_, count)| *count > 0)
                .map(|(category, count)| (category.id().to_owned(), count)),
        )
    }

    /// One program, by its two fast fields' values.
    fn count(&mut self, owner: u64, categories: u64) {
        *self.owners.entry(owner).or_default() += 1;
        let mut bits = categories;
        while bits != 0 {
            let index = bits.trailing_zeros() as usize;
            if let Some(count) = self.categories.get_mut(index) {
                *count += 1;
            }
            bits &= bits - 1;
        }
    }

    fn add(&mut self, other: Tallies) {
        for (owner, count) in other.owners {
            *self.owners.entry(owner).or_default() += count;
        }
        for (total, count) in self.categories.iter_mut().zip(other.categories) {
            *total += count;
        }
    }
}

fn sorted(counts: impl Iterator<Item = (String, u64)>) -> Vec<FacetCount> {
    let mut counts: Vec<FacetCount> = counts.map(|(value, count)| FacetCount { value, count }).collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    counts
}

pub struct SegmentTally {
    owner: Arc<dyn ColumnValues<u64>>,
    categories: Arc<dyn ColumnValues<u64>>,
    tallies: Tallies,
}

impl Collector for Tally {
    type Fruit = Tallies;
    type Child = SegmentTally;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentTally> {
        let fast_fields = segment.fast_fields();
        Ok(SegmentTally {
            owner: fast_fields.u64(OWNER_FIELD)?.first_or_default_col(0),
            categories: fast_fields.u64(CATEGORIES_FIELD)?.first_or_default_col(0),
            tallies: Tallies::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Tallies>) -> tantivy::Result<Tallies> {
        let mut total = Tallies::default();
        for segment in segments {
            total.add(segment);
        }
        Ok(total)
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Tallies;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.tallies
            .count(self.owner.get_val(doc), self.categories.get_val(doc));
    }

    fn harvest(self) -> Tallies {
        self.tallies
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use kosodate_domain::MunicipalityCode;
    use kosodate_registry::ProgramOwner;

    use super::*;
    use crate::document::{category_bits, owner_number};

    fn as_map(counts: &[FacetCount]) -> HashMap<&str, u64> {
        counts
            .iter()
            .map(|count| (count.value.as_str(), count.count))
            .collect()
    }

    #[test]
    fn owners_round_trip_through_their_numbers() {
        let aomori =
            ProgramOwner::Local(MunicipalityCode::parse("022012").unwrap_or_else(|_| unreachable!()));
        assert_eq!(owner_key(owner_number(&aomori)), "022012");
        assert_eq!(owner_key(owner_number(&ProgramOwner::National)), "national");
    }

    #[test]
    fn categories_are_counted_once_per_program_and_named() {
        let mut tallies = Tallies::default();
        let national = owner_number(&ProgramOwner::National);
        for categories in [
            vec![Category::Medical, Category::Allowance],
            vec![Category::Medical],
            vec![],
        ] {
            tallies.count(national, category_bits(&categories));
        }
        let named = tallies.categories();
        assert_eq!(as_map(&named), HashMap::from([("medical", 2), ("allowance", 1)]));
        assert_eq!(named[0].value, "medical", "the most frequent first");
        assert_eq!(as_map(&tallies.owners()), HashMap::from([("national", 3)]));
    }

    #[test]
    fn only_the_owners_with_the_most_matches_are_named() {
        let mut tallies = Tallies::default();
        let owners = MAX_OWNER_FACETS as u64 + 50;
        // Owner n (a code, 1 to owners) has n matches, so the last ones are the most frequent.
        for owner in 1..=owners {
            for _ in 0..owner {
                tallies.count(owner, 0);
            }
        }
        let named = tallies.owners();
        assert_eq!(named.len(), MAX_OWNER_FACETS);
        assert_eq!(named[0].count, owners, "the most frequent first");
        let fewest = named.iter().map(|owner| owner.count).min();
        assert_eq!(fewest, Some(owners - MAX_OWNER_FACETS as u64 + 1));
    }
}
