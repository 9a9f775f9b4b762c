//! sea-orm entities: the rows as stored. Only the store module turns them into domain types.

pub mod audit_entry;
pub mod municipality;
pub mod program;
pub mod program_category;
pub mod program_version;
pub mod staged_import;
