//! The planner: who is told what, through which channel. It turns the change events the matching
//! runner recorded into notices in the notifier's outbox, one per channel a household opted into
//! and consented to, leaving out programs it dismissed, with content in a parent's words (which
//! child, what it gives, by when, how to apply); and it answers the notifier when an address is
//! gone (the channel is switched off and the household told through its others).
//!
//! It reads households (records, channels, consents, dismissals, stored results), the registry
//! (programs, organisation names), places (published events) and the matcher (which child a condition held for), and writes
//! only to the outbox and the events' planned marks. It must not depend on HTTP. Answers in the
//! parents' community are told to the asker the same way (`community`), without a change event,
//! and so are the week's events that suit a household's children (`events`, from the places
//! crate, for households that asked for them).

mod community;
mod content;
mod error;
mod events;
mod health;
mod plan;

pub use community::{AnswerPosted, CommunityNotices};
pub use content::group_thousands;
pub use error::PlannerError;
pub use events::WeeklyEventNotices;
pub use health::ChannelHealth;
pub use plan::NoticePlanner;
