//! Households: the personal data the service holds under consent, and its whole lifecycle. It
//! owns households (municipality, children's birth or due dates, the optional facts a parent
//! chose to share, nicknames, preferences), parents' sign-in accounts, the consent ledger with
//! its versioned texts, contact channels (partner app links among them), dismissals ("applied", "not interested"), what matching
//! derived from each household (`match_store`: the stored state and change events), the secret of
//! its calendar feed (`calendar`), "My data" export and erasure, and counts for staff that never
//! show fewer than ten.
//!
//! It uses the registry only for municipalities and validation errors, and the notifier's outbox
//! only to cancel or suppress notices in the same transaction as a withdrawal, an opt-out or a
//! dismissal. It must not depend on HTTP, on the matching runner or on the planner (they build on
//! it), and it must never log a value a household entered.

mod accounts;
mod attendance;
mod calendar;
mod channels;
pub mod consent_texts;
mod consents;
mod counts;
mod dismissals;
mod entity;
mod error;
mod ids;
mod input;
pub mod match_store;
mod my_data;
mod partner_links;
pub mod population;
mod profile;
mod purposes;
mod store;

pub use accounts::{PaperForm, ParentAccount, Registration};
pub use calendar::CalendarSecret;
pub use channels::{
    ChannelKind, ChannelRecord, PushKeys, PushSubscription, VerificationToken, deliverable_channels,
    switch_off_gone,
};
pub use consents::{ConsentRecord, consent_active_on, purpose_of_channel};
pub use counts::{MIN_REPORTED, MunicipalityCounts, NoticeCount, ReportedCount};
pub use dismissals::{Dismissal, Dismissed, dismissed};
pub use error::HouseholdError;
pub use ids::{AccountId, HouseholdId, InvalidId};
pub use input::{ChildInput, HouseholdInput, Preferences, ValidHousehold};
pub use partner_links::{
    CODE_LIFETIME, GrantRefused, LINK_PURPOSE, LinkGrant, LinkRequest, PartnerLinkRecord, is_s256_challenge,
    pkce_matches,
};
pub use profile::{HouseholdRecord, Profile, StoredHousehold};
pub use purposes::{ConsentMethod, ConsentPurpose};
pub use store::Households;

/// Reads a household row on the caller's connection or transaction (the planner's).
pub async fn record_on(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
) -> Result<Option<HouseholdRecord>, HouseholdError> {
    use sea_orm::EntityTrait;
    match entity::household::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
    {
        Some(row) => profile::record(&row).map(Some),
        None => Ok(None),
    }
}

/// Reads household rows by id on the caller's connection or transaction, in one query; ids
/// without a row are left out.
pub async fn records_on(
    db: &impl sea_orm::ConnectionTrait,
    ids: &[String],
) -> Result<Vec<HouseholdRecord>, HouseholdError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    entity::household::Entity::find()
        .filter(entity::household::Column::Id.is_in(ids.iter().cloned()))
        .order_by_asc(entity::household::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(profile::record)
        .collect()
}
