//! sea-orm entities: the rows as stored. Only this crate's stores turn them into domain types.

pub mod consent;
pub mod household;
pub mod match_event;
pub mod match_result;
