//! sea-orm entities: the rows as stored. Only the store module turns them into domain types.

pub mod audit_entry;
pub mod link_check;
pub mod municipality;
pub mod organisation_setting;
pub mod program;
pub mod program_category;
pub mod program_review_flag;
pub mod program_review_request;
pub mod program_version;
pub mod review_reminder;
pub mod review_reminder_mail;
pub mod staff_member;
pub mod staged_import;
