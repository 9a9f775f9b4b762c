//! Places to go with children (子育て支援センター, 児童館, 公園 …: address, opening hours, age
//! suitability, facilities such as 授乳室) and children's events (離乳食教室, 両親学級, お話し会 …:
//! one-off or recurring, for an age in months, a school year or pregnancy, with capacity,
//! sign-up and fee), which municipalities provide and the prefecture gathers. It owns their
//! tables and every version of their records, the one validation of what staff submit, the
//! expansion of a schedule into its days and whether an event suits a child, using the
//! matcher's Japanese date law (月齢, 学年 with 早生まれ) rather than arithmetic of its own. Who
//! may write is the registry's rule (`StaffAction::WritePlaces`); words in lists are compared as
//! the program search compares them (the search crate's folding and synonyms). It must not
//! depend on HTTP, households or the notifier: the server publishes, audits and notifies around
//! it.

mod entity;
mod error;
mod examples;
mod history;
pub mod import;
mod input;
mod model;
mod publication;
mod reading;
mod review;
mod schedule;
mod store;
mod suited;
mod templates;
mod vocabulary;

pub use error::PlacesError;
pub use examples::ExamplesLoaded;
pub use history::{EventVersion, PlaceVersion, RecordVersion, Subject};
pub use input::{EventInput, InputErrors, PlaceInput};
pub use model::*;
pub use reading::{Area, EventFilter, FeedPosition, PlaceFilter};
pub use review::WaitingForReview;
pub use schedule::MAX_SPAN_DAYS;
pub use store::Places;
pub use suited::{EventDays, SuitedEvent, suited_events};
pub use templates::{
    EventTemplate, PlaceTemplate, event_template, event_templates, place_template, place_templates,
};
pub use vocabulary::{EventKind, Facility, PlaceKind, SignUpMethod, Status, VersionAction, Weekday};
