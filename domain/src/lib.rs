//! Validated domain types that every kosodate crate shares: municipality codes, program ids,
//! calendar dates and, later, the personal-data newtypes. Each type has one `parse` constructor that
//! validates at the edge, so code that holds a value never checks it again. This crate must stay free of I/O: no
//! database, no HTTP, no clock, no async runtime.

mod calendar_date;
mod contact;
mod municipality_code;
mod program_id;

pub use calendar_date::{CalendarDate, CalendarDateError};
pub use contact::{EmailAddress, EmailAddressError, LineUserId, LineUserIdError};
pub use municipality_code::{MunicipalityCode, MunicipalityCodeError, PREFECTURE_CODE};
pub use program_id::{ProgramId, ProgramIdError};
