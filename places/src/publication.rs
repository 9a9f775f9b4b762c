//! The rule every publication of a place or an event passes when its organisation wants a
//! colleague's review (the same setting as its programs, `organisation_settings`): a colleague
//! other than the publisher must have asked for a review of this very version; the request is
//! then used up (the registry's `review_allows`, the one rule for programs too). Kept apart from
//! the requests (`review.rs`) so that `store.rs` can ask it.

use kosodate_domain::MunicipalityCode;
use kosodate_registry::StaffIdentity;
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
    let asked = request
        .as_ref()
        .map(|request| (request.version, request.requested_by.as_str()));
    kosodate_registry::review::review_allows(asked, record.version, actor)?;
    review_request::Entity::delete_by_id(key).exec(db).await?;
    Ok(())
}
