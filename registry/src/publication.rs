//! The rule every publication passes when an organisation wants a colleague's review (see
//! `review`): kept apart from the requests' store so that `store`'s `publish` can ask it.

use kosodate_domain::{MunicipalityCode, PREFECTURE_CODE};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::StaffIdentity;
use crate::entity::{organisation_setting, program_review_request};
use crate::error::RegistryError;
use crate::model::{Program, ProgramOwner};

/// The organisation whose setting applies to a program: its municipality, or the prefecture
/// for its own and the national programs it curates.
pub fn organisation_of(owner: &ProgramOwner) -> MunicipalityCode {
    match owner {
        ProgramOwner::Local(code) => *code,
        ProgramOwner::National => PREFECTURE_CODE,
    }
}

/// Whether `organisation` publishes only after a colleague's review (read inside the caller's
/// transaction: the places crate asks it for places and events too).
pub async fn review_required(
    db: &impl ConnectionTrait,
    organisation: MunicipalityCode,
) -> Result<bool, RegistryError> {
    let setting = organisation_setting::Entity::find_by_id(organisation.to_string())
        .one(db)
        .await?;
    Ok(setting.is_some_and(|setting| setting.review_before_publishing))
}

/// Before `current` is published by `actor`: when its organisation wants a review, a colleague
/// other than `actor` must have asked for one on this very version; the request is then used up.
pub(crate) async fn check_publication(
    db: &impl ConnectionTrait,
    actor: &StaffIdentity,
    current: &Program,
) -> Result<(), RegistryError> {
    if !review_required(db, organisation_of(&current.content.owner)).await? {
        return Ok(());
    }
    let request = program_review_request::Entity::find_by_id(current.id.to_string())
        .one(db)
        .await?;
    let asked = request
        .as_ref()
        .map(|request| (request.version, request.requested_by.as_str()));
    review_allows(asked, current.version, actor)?;
    program_review_request::Entity::delete_by_id(current.id.to_string())
        .exec(db)
        .await?;
    Ok(())
}

/// The review rule itself, for every kind of record (programs here, places and events in their
/// crate): `asked` is the open request's (version, requester). Publishing `version` by `actor` is
/// allowed when a colleague other than `actor` asked about this very version; the caller then
/// uses the request up.
pub fn review_allows(
    asked: Option<(i32, &str)>,
    version: i32,
    actor: &StaffIdentity,
) -> Result<(), RegistryError> {
    match asked {
        Some((asked_version, requester)) if asked_version == version && requester != actor.name => Ok(()),
        Some((asked_version, _)) if asked_version == version => Err(RegistryError::ReviewBySomeoneElse),
        _ => Err(RegistryError::ReviewRequired),
    }
}
