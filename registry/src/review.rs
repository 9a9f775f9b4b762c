//! Second-person review before publication, an organisation's choice: when it is on, a program
//! is published only after a colleague (a different staff member of the organisation) has
//! looked at the version a clerk asked about. The rule is checked where every publication
//! passes (the registry's `publish`), so the JSON API and the pages cannot differ. Colleagues
//! are told apart by the name they sign in with, the name the history records. The check
//! itself is `publication.rs`.

use chrono::{DateTime, Utc};
use kosodate_domain::{MunicipalityCode, ProgramId};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use sea_orm::sea_query::OnConflict;

use crate::StaffIdentity;
use crate::entity::{organisation_setting, program_review_request};
use crate::error::RegistryError;
use crate::model::{Program, ProgramOwner, ProgramStatus};
pub use crate::publication::{organisation_of, review_allows, review_required};
use crate::store::{Registry, authorize, load};

/// An open request for a colleague's review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewRequest {
    /// The version a colleague is asked to publish; a later save makes the request stale.
    pub version: i32,
    /// Who asked: a colleague other than this one must publish.
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

impl Registry {
    /// Whether the organisation publishes only after a colleague's review.
    pub async fn review_before_publishing(
        &self,
        organisation: MunicipalityCode,
    ) -> Result<bool, RegistryError> {
        review_required(self.connection(), organisation).await
    }

    /// Turns the organisation's review on or off; staff who may write its programs may.
    pub async fn set_review_before_publishing(
        &self,
        actor: &StaffIdentity,
        organisation: MunicipalityCode,
        required: bool,
    ) -> Result<(), RegistryError> {
        authorize(actor, &ProgramOwner::Local(organisation))?;
        let row = organisation_setting::ActiveModel {
            organisation_code: Set(organisation.to_string()),
            review_before_publishing: Set(required),
            updated_by: Set(actor.name.clone()),
            updated_at: Set(Utc::now()),
        };
        let txn = kosodate_database::begin_write(self.connection()).await?;
        organisation_setting::Entity::insert(row)
            .on_conflict(
                OnConflict::column(organisation_setting::Column::OrganisationCode)
                    .update_columns([
                        organisation_setting::Column::ReviewBeforePublishing,
                        organisation_setting::Column::UpdatedBy,
                        organisation_setting::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Asks a colleague to review the program as it is now (a draft, or a published program's
    /// latest change); replaces an earlier request. Answers with the program asked about.
    pub async fn request_review(
        &self,
        actor: &StaffIdentity,
        id: ProgramId,
    ) -> Result<(Program, ReviewRequest), RegistryError> {
        let txn = kosodate_database::begin_write(self.connection()).await?;
        let program = load(&txn, id).await?;
        authorize(actor, &program.content.owner)?;
        if program.status == ProgramStatus::Archived {
            return Err(RegistryError::InvalidTransition {
                current: program.status,
                action: "request a review of",
            });
        }
        let request = ReviewRequest {
            version: program.version,
            requested_by: actor.name.clone(),
            requested_at: kosodate_database::stored_instant(Utc::now()),
        };
        let row = program_review_request::ActiveModel {
            program_id: Set(id.to_string()),
            version: Set(request.version),
            requested_by: Set(request.requested_by.clone()),
            requested_at: Set(request.requested_at),
        };
        program_review_request::Entity::delete_by_id(id.to_string())
            .exec(&txn)
            .await?;
        program_review_request::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok((program, request))
    }

    /// The program's open review request, for staff who may change the program: what a
    /// clerk's own tool shows as waiting for a colleague. Refused when nobody asked, or the
    /// program was published since.
    pub async fn open_review_request(
        &self,
        actor: &StaffIdentity,
        id: ProgramId,
    ) -> Result<ReviewRequest, RegistryError> {
        let program = load(self.connection(), id).await?;
        authorize(actor, &program.content.owner)?;
        self.review_request(id)
            .await?
            .ok_or(RegistryError::NoReviewRequest)
    }

    /// The program's open review request, if any.
    pub async fn review_request(&self, id: ProgramId) -> Result<Option<ReviewRequest>, RegistryError> {
        let row = program_review_request::Entity::find_by_id(id.to_string())
            .one(self.connection())
            .await?;
        Ok(row.map(|row| ReviewRequest {
            version: row.version,
            requested_by: row.requested_by,
            requested_at: row.requested_at,
        }))
    }

    /// The open review requests of the given programs, by program: what the staff home lists
    /// as waiting for a colleague.
    pub async fn review_requests(
        &self,
        ids: &[ProgramId],
    ) -> Result<std::collections::HashMap<ProgramId, ReviewRequest>, RegistryError> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut requests = std::collections::HashMap::new();
        // A few hundred ids at most per query, well under every backend's parameter limit.
        for chunk in keys.chunks(500) {
            let rows = program_review_request::Entity::find()
                .filter(program_review_request::Column::ProgramId.is_in(chunk.to_vec()))
                .all(self.connection())
                .await?;
            for row in rows {
                let Ok(id) = ProgramId::parse(&row.program_id) else {
                    continue;
                };
                let request = ReviewRequest {
                    version: row.version,
                    requested_by: row.requested_by,
                    requested_at: row.requested_at,
                };
                requests.insert(id, request);
            }
        }
        Ok(requests)
    }
}
