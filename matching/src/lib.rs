//! Matching: runs the pure matcher over the households that consented to it. It owns the
//! runner (a full run, a program's area, one household, the daily tick: read, evaluate on every
//! core, write, in three overlapping stages), the catalogue of published programs with rules,
//! the rules for change events and check dates (`decide`), fingerprints that let a repeated run
//! skip what has not changed, what a household is eligible for with why (`findings`), and the
//! synthetic population that tests and benchmarks share, and how many households a draft rule
//! would reach (`draft`, for the program editor's preview), and the partitions that let several
//! processes share a full run (`partitions`). What it derives is stored by the
//! households crate (`match_store`), which owns personal data and its erasure.
//!
//! It must not depend on HTTP, the notifier or the planner, and it never reads the clock: the
//! reference date is an argument.

mod catalogue;
mod decide;
mod draft;
mod error;
mod evaluate;
mod findings;
mod fingerprint;
pub mod partitions;
mod runner;
pub mod synthetic;

pub use catalogue::{Catalogue, CatalogueEntry, application, entry, published_programs};
pub use decide::{
    MatchPolicy, ProgramMatch, ProgramSeen, ResultDetail, Seen, pair_events, pair_next_check,
    reminder_schedule,
};
pub use draft::eligible_households;
pub use error::MatchingError;
pub use findings::Finding;
pub use fingerprint::{fingerprint, household_hash};
pub use runner::{MatchReport, MatchRunner, Sharing};
