pub mod event;
pub mod place;
