//! sea-orm entities: the rows as stored. Only this crate's stores turn them into domain types.

pub mod account;
pub mod anonymous_count;
pub mod consent;
pub mod contact_channel;
pub mod household;
pub mod household_match;
pub mod match_catalogue;
pub mod match_event;
pub mod program_dismissal;
