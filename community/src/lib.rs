//! The parents' community (子育てコミュニティ): members under a pseudonymous display name (never
//! their sign-in identity), questions with a category and coarse tags (region or municipality,
//! child's age band), answers, helpful marks and the accepted answer, experts verified by staff
//! with their badge, reports and the moderation that follows them (hide, restore, with a reason),
//! every edit kept, rate limits per member, and what a member's departure leaves behind
//! (anonymised or removed, as they chose). Personal data is caught before anything is published
//! (`personal_data`): the stored text is the masked one. Similar questions are found with the
//! same Japanese analysis as program search. It knows accounts only by their id: it must not
//! depend on the households crate, the registry, the notifier or HTTP; the server composes
//! consent, related programs and notices around it.

mod error;
pub mod personal_data;

pub use error::CommunityError;
pub use personal_data::{Finding, PersonalDataKind};
