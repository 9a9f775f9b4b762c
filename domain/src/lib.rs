//! Validated domain types that every kosodate crate shares: municipality codes, program ids,
//! contact addresses, calendar dates within the years the service deals with (`CalendarDate`), why
//! a household hears from us (`NoticeKind`), a child's age as a coarse band (`AgeBand`), Japan's
//! calendar (dates written and read in the era as well as the Western calendar), closed lists read
//! by their ids, Japanese labels or everyday words (`Vocabulary`), which control characters text
//! may not hold (`text`), how an error is written down (`error_chain`) and what is stored instead
//! of a secret (`digest::sha256_hex`). Each type has one `parse` constructor that validates at the
//! edge, so code that holds a value never checks it again. This crate must stay free of I/O: no
//! database, no HTTP, no async runtime, and it never reads the clock (callers pass the instant).

mod age_band;
mod calendar_date;
mod contact;
pub mod digest;
mod error_chain;
pub mod japan;
mod municipality_code;
mod notice_kind;
mod program_id;
pub mod text;
mod vocabulary;

pub use age_band::AgeBand;
pub use calendar_date::{CalendarDate, CalendarDateError};
pub use contact::{EmailAddress, EmailAddressError, LineUserId, LineUserIdError};
pub use error_chain::error_chain;
pub use municipality_code::{MunicipalityCode, MunicipalityCodeError, PREFECTURE_CODE};
pub use notice_kind::NoticeKind;
pub use program_id::{ProgramId, ProgramIdError};
pub use vocabulary::{Vocabulary, deserialize_vocabulary, serde_names_agree};

/// For [`vocabulary_deserialize!`], so that a crate using it needs no path to serde of its own.
#[doc(hidden)]
pub use serde as __serde;
