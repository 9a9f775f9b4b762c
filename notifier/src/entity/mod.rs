pub mod notice;
pub mod notice_attempt;
