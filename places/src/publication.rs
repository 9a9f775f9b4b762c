//! The rule every publication of a place or an event passes when its organisation wants a
//! colleague's review (the same setting as its programs, `organisation_settings`): a colleague
//! other than the publisher must have asked for a review of this very version; the request is
//! then used up. Kept apart from the requests (`review.rs`) so that `store.rs` can ask it.

use kosodate_domain::MunicipalityCode;
use kosodate_registry::{RegistryError, StaffIdentity};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::entity::review_request;
use crate::error::PlacesError;
use crate::history::Subject;

/// The record about to be published, as it is now.
pub(crate) struct Publishing {
    pub subject: Subject,
    pub id: Uuid,
    pub version: i32,
    pub owner: MunicipalityCode,
}

pub(crate) async fn check_publication(
    db: &impl ConnectionTrait,
    actor: &StaffIdentity,
    record: &Publishing,
) -> Result<(), PlacesError> {
    if !kosodate_registry::review::review_required(db, record.owner).await? {
        return Ok(());
    }
    let key = (record.subject.id().to_owned(), record.id.to_string());
    let request = review_request::Entity::find_by_id(key.clone()).one(db).await?;
    match request {
        Some(request) if request.version == record.version && request.requested_by != actor.name => {
            review_request::Entity::delete_by_id(key).exec(db).await?;
            Ok(())
        }
        Some(request) if request.version == record.version => Err(RegistryError::ReviewBySomeoneElse.into()),
        _ => Err(RegistryError::ReviewRequired.into()),
    }
}
