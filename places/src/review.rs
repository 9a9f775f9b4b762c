//! Asking a colleague to review a place or an event before it is published, where the
//! organisation turned review on (the setting its programs follow). A request names the version
//! asked about; a later save makes it stale, and asking again replaces it. The rule itself is
//! `publication.rs`.

use chrono::Utc;
use kosodate_domain::MunicipalityCode;
use kosodate_registry::review::ReviewRequest;
use kosodate_registry::{RegistryError, StaffIdentity};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use uuid::Uuid;

use crate::entity::review_request;
use crate::error::PlacesError;
use crate::history::Subject;
use crate::model::{Event, Place};
use crate::store::{Hold, Places, authorize, load_event, load_place};
use crate::vocabulary::Status;

/// A place or an event whose organisation waits for a colleague's review of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingForReview {
    pub subject: Subject,
    pub id: Uuid,
    pub name: String,
    pub request: ReviewRequest,
}

impl Places {
    /// The open review requests of `organisation`'s places and events, oldest first: what its
    /// staff home lists beside its programs'. Requests are few (one per record at most, used up
    /// on publication), so each record is read by id.
    pub async fn waiting_for_review(
        &self,
        organisation: MunicipalityCode,
    ) -> Result<Vec<WaitingForReview>, PlacesError> {
        let rows = review_request::Entity::find()
            .order_by_asc(review_request::Column::RequestedAt)
            .all(&self.db)
            .await?;
        let mut waiting = Vec::new();
        for row in rows {
            let id = Uuid::parse_str(&row.record_id)
                .map_err(|_| PlacesError::Corrupt(format!("review request for {:?}", row.record_id)))?;
            let (subject, owner, name) = match row.subject.as_str() {
                "place" => {
                    let place = load_place(&self.db, id, Hold::Nothing).await?;
                    (Subject::Place, place.content.owner, place.content.name)
                }
                _ => {
                    let event = load_event(&self.db, id, Hold::Nothing).await?;
                    (Subject::Event, event.content.owner, event.content.title)
                }
            };
            if owner != organisation {
                continue;
            }
            waiting.push(WaitingForReview {
                subject,
                id,
                name,
                request: request_of(row),
            });
        }
        Ok(waiting)
    }

    /// Asks a colleague to review the place as it is now; replaces an earlier request. Answers
    /// with the place asked about.
    pub async fn request_place_review(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
    ) -> Result<(Place, ReviewRequest), PlacesError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let place = load_place(&txn, id, Hold::ForUpdate).await?;
        authorize(actor, place.content.owner)?;
        let request = ask(&txn, actor, Subject::Place, id, place.status, place.version).await?;
        txn.commit().await?;
        Ok((place, request))
    }

    /// Asks a colleague to review the event as it is now; replaces an earlier request. Answers
    /// with the event asked about.
    pub async fn request_event_review(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
    ) -> Result<(Event, ReviewRequest), PlacesError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let event = load_event(&txn, id, Hold::ForUpdate).await?;
        authorize(actor, event.content.owner)?;
        let request = ask(&txn, actor, Subject::Event, id, event.status, event.version).await?;
        txn.commit().await?;
        Ok((event, request))
    }

    /// The place's open review request, for staff who may change the place; refused when
    /// nobody asked, or the place was published since.
    pub async fn open_place_review_request(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
    ) -> Result<ReviewRequest, PlacesError> {
        let place = load_place(&self.db, id, Hold::Nothing).await?;
        self.open_request_for(actor, place.content.owner, Subject::Place, id)
            .await
    }

    /// The event's open review request, for staff who may change the event; refused when
    /// nobody asked, or the event was published since.
    pub async fn open_event_review_request(
        &self,
        actor: &StaffIdentity,
        id: Uuid,
    ) -> Result<ReviewRequest, PlacesError> {
        let event = load_event(&self.db, id, Hold::Nothing).await?;
        self.open_request_for(actor, event.content.owner, Subject::Event, id)
            .await
    }

    /// A record's open review request, for staff who may change what `owner` owns.
    async fn open_request_for(
        &self,
        actor: &StaffIdentity,
        owner: MunicipalityCode,
        subject: Subject,
        id: Uuid,
    ) -> Result<ReviewRequest, PlacesError> {
        authorize(actor, owner)?;
        let request = open_request(&self.db, subject, id).await?;
        request.ok_or_else(|| RegistryError::NoReviewRequest.into())
    }

    /// The place's open review request, whatever version it names.
    pub async fn place_review_request(&self, id: Uuid) -> Result<Option<ReviewRequest>, PlacesError> {
        open_request(&self.db, Subject::Place, id).await
    }

    /// The event's open review request, whatever version it names.
    pub async fn event_review_request(&self, id: Uuid) -> Result<Option<ReviewRequest>, PlacesError> {
        open_request(&self.db, Subject::Event, id).await
    }
}

async fn ask(
    txn: &impl ConnectionTrait,
    actor: &StaffIdentity,
    subject: Subject,
    id: Uuid,
    status: Status,
    version: i32,
) -> Result<ReviewRequest, PlacesError> {
    if status == Status::Archived {
        return Err(PlacesError::InvalidTransition {
            current: status,
            action: "request a review of",
        });
    }
    let request = ReviewRequest {
        version,
        requested_by: actor.name.clone(),
        requested_at: crate::store::stored_instant(Utc::now()),
    };
    let key = (subject.id().to_owned(), id.to_string());
    review_request::Entity::delete_by_id(key.clone())
        .exec(txn)
        .await?;
    let row = review_request::ActiveModel {
        subject: Set(key.0),
        record_id: Set(key.1),
        version: Set(request.version),
        requested_by: Set(request.requested_by.clone()),
        requested_at: Set(request.requested_at),
    };
    review_request::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    Ok(request)
}

async fn open_request(
    db: &impl ConnectionTrait,
    subject: Subject,
    id: Uuid,
) -> Result<Option<ReviewRequest>, PlacesError> {
    let row = review_request::Entity::find_by_id((subject.id().to_owned(), id.to_string()))
        .one(db)
        .await?;
    Ok(row.map(request_of))
}

fn request_of(row: review_request::Model) -> ReviewRequest {
    ReviewRequest {
        version: row.version,
        requested_by: row.requested_by,
        requested_at: row.requested_at,
    }
}
