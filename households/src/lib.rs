//! Households and matching. It owns the personal data the matcher needs (municipality, children's
//! birth or due dates, the optional facts a parent chose to share), the consent records without
//! which a household is never matched, the stored match state and the change events the
//! notifier turns into notices, and the deterministic synthetic population that tests and
//! benchmarks share. It uses the registry for programs and the pure matcher for every decision;
//! it must not depend on HTTP or on the notifier, and must never log personal data.

mod channels;
pub mod consent_texts;
mod counts;
mod entity;
mod error;
mod input;
pub mod matching;
pub mod notices;
mod parents;
mod store;
pub mod synthetic;

pub use channels::{ChannelKind, ChannelRecord, PushKeys, PushSubscription, VerificationToken};
pub use counts::{MIN_REPORTED, MunicipalityCounts, NoticeCount, ReportedCount};
pub use error::HouseholdError;
pub use input::{ChildInput, HouseholdInput, Preferences, ValidHousehold};
pub use matching::{EventKind, MatchPolicy, MatchReport, MatchRunner};
pub use notices::{ChannelHealth, Dismissal, NoticePlanner};
pub use parents::{AccountId, ConsentRecord, HouseholdRecord, ParentAccount, Registration};
pub use store::{ConsentMethod, ConsentPurpose, HouseholdId, Households, Profile, StoredHousehold};
