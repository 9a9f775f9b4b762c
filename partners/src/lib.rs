//! Registered partner apps (issue 19): the registry of partners an administrator registers, their
//! OAuth 2.0 client credentials (client id, a client secret kept only as a salted hash), the
//! closed list of scopes, opaque access tokens of the client credentials grant and their
//! revocation, each partner's rate limit shared by every server process, and the Standard
//! Webhooks signing that change webhooks and partner notice delivery both use
//! ([`standard_webhooks`]). It depends on the domain and database crates only: it must not depend
//! on the registry, households, the notifier or HTTP serving; what a partner reads and receives
//! is chosen by the server.

mod credentials;
mod entity;
mod error;
mod model;
mod rate;
mod scope;
pub mod standard_webhooks;
mod store;
mod tokens;
pub mod webhooks;

pub use credentials::looks_like_access_token;
pub use error::PartnersError;
pub use model::{
    MAX_RATE_PER_MINUTE, Partner, PartnerInput, PartnerInputErrors, SIGNING_ROTATION_OVERLAP, SigningSecrets,
    partner_url,
};
pub use scope::{Scope, Scopes, UnknownScope};
pub use store::{Partners, Registered};
pub use tokens::{ACCESS_TOKEN_LIFETIME, IssuedToken, PartnerAccess};
