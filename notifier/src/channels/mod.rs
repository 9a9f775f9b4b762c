//! The channel implementations: one module each.

pub mod email;
pub mod line;
pub mod web_push;
