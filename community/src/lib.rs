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

mod departure;
mod entity;
mod error;
mod examples;
mod feed;
mod helpful;
mod input;
mod members;
mod moderation;
mod notices;
pub mod personal_data;
mod posting;
mod reading;
pub mod similar;
mod store;
mod vocabulary;

pub use departure::{Departed, ExportedAnswer, ExportedQuestion, ExportedReport, MemberExport};
pub use error::{CommunityError, FieldFinding};
pub use examples::ExamplesLoaded;
pub use feed::{QuestionFacts, QuestionFeedPosition};
pub use input::{AnswerInput, DisplayName, FieldError, InputErrors, QuestionInput, ValidQuestion};
pub use members::{Expert, ExpertRequest, Member};
pub use moderation::{Decision, PostRef, QueueItem};
pub use personal_data::{Finding, PersonalDataKind};
pub use posting::{AnswerPosted, Masking};
pub use reading::{
    AnswerView, Author, DEPARTED_MEMBER, MyAnswer, MyPosts, QuestionFilter, QuestionSummary, QuestionView,
    Revision, Viewer,
};
pub use similar::{IndexedQuestion, QuestionIndex, SimilarQuestion};
pub use store::Community;
pub use vocabulary::{
    Departure, ModerationAction, PostKind, PostStatus, Profession, QuestionCategory, Region, ReportReason,
};
