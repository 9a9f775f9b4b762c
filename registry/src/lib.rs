//! The 子育て支援制度レジストリ: programs (with their full version history), the municipalities
//! that own them, the catalogue of program types (制度類型) a program may carry, with the template
//! a program of each type starts from, the permission rule for changing them, second-person
//! review before publication where an organisation wants it (`review`), and bulk import and
//! export. It owns the registry's tables and their queries. It must not depend on HTTP, the
//! server's settings or how staff sign in: callers pass a [`StaffIdentity`] and get typed errors
//! back.

pub mod audit;
pub mod authz;
mod changes;
pub mod coverage;
mod entity;
mod error;
mod feed;
pub mod freshness;
pub mod import;
mod model;
mod municipalities;
pub mod page;
pub mod program_types;
mod publication;
pub mod review;
pub mod seed;
mod store;
pub mod transfer;
mod validation;

pub use authz::{Credential, StaffAction, StaffIdentity, StaffRole};
pub use error::RegistryError;
pub use feed::{FeedPosition, ProgramVersionStatus};
pub use model::*;
pub use store::{ProgramFilter, Registry, Visibility};
pub use validation::{FieldError, ValidationErrors, normalize_width};
/// The field checks every staff-entered record shares (places and events too).
pub use validation::{
    TextSize, control_character_error, optional_text, optional_url, required_text, valid_phone,
    validate_contact, validate_license,
};
