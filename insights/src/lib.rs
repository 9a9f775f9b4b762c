//! Evidence for policy (EBPM): what parents search for and ask about, for prefecture staff, without
//! exposing anyone. It owns the hourly and daily roll-ups of the search log, of search result
//! clicks and of community questions (the raw search log is kept 13 months, then only roll-ups),
//! the terms (IPADIC nouns and compounds) and how many distinct people used them, volumes over
//! time by category, region, municipality and child age band, rising terms with a significance
//! test under false-discovery control, gaps (searches that found nothing, questions no program
//! relates to, questions left unanswered, results nobody opens), and disclosure control: no cell
//! under 10, small municipalities rolled up to their region, free text only as terms at least 10
//! people used, and calibrated noise (a stated epsilon) on the open-data export. It reads the
//! search log and the community through their crates; it must not depend on the households crate,
//! the notifier or HTTP, and it never returns a row about one person.

pub mod disclosure;
mod error;
pub mod noise;
pub mod significance;

pub use disclosure::{Cell, MIN_CELL, TermRow, VolumeRow};
pub use error::InsightsError;
pub use noise::GeometricMechanism;
pub use significance::RisingTerm;
