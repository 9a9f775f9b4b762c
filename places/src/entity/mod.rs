pub mod event;
pub mod place;
pub mod record_version;
pub mod review_request;
