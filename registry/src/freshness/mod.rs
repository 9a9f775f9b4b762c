//! What keeps the registry fresh without extra work for staff: review cycles and recorded reviews
//! (`review`), the staff who signed in and can be reminded (`staff`), the review reminders decided
//! once per program and cycle and the mails that carry them (`reminders`), what the link checker
//! saw at each URL (`links`), programs flagged because a national or prefecture program of their
//! type changed (`flags`), and each program's problems and each municipality's counts as the
//! staff pages show them (`problems`). Fetching URLs and sending mail are the server's: this
//! module only stores and decides.

pub mod flags;
pub mod links;
pub mod problems;
pub mod reminders;
pub mod review;
pub mod staff;

/// A review is "due soon" this many days before its date: reminders go out then, and the staff
/// pages show it.
pub const REVIEW_DUE_SOON_DAYS: u64 = 14;
