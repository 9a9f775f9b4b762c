//! sea-orm entities: the rows as stored. Only the store module turns them into domain types.

pub mod audit_entry;
pub mod municipality;
pub mod organisation_setting;
pub mod program;
pub mod program_category;
pub mod program_review_request;
pub mod program_version;
