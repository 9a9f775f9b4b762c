//! sea-orm entities: the rows as stored. Only the service's modules turn them into the
//! community's types.

pub mod answer;
pub mod helpful_mark;
pub mod member;
pub mod moderation_decision;
pub mod question;
pub mod report;
pub mod revision;
