//! What the staff editors of places and events share: whose records a staff member lists (their
//! municipality's, or everything for the prefecture and the operators), whether they may change
//! one, what the editor says about the stored record beside the form and about review before
//! publication, the banner of its preview, and where a save goes.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_places::{Area, PlacesError, Status};
use kosodate_registry::review::ReviewRequest;
use kosodate_registry::{StaffAction, StaffRole};
use uuid::Uuid;

use crate::error::ApiError;
use crate::pages::events::show::Preview;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

/// The records a staff member's list shows.
pub fn own_area(role: &StaffRole) -> Area {
    match role {
        StaffRole::Municipal(code) => Area {
            owner: Some(*code),
            ..Area::default()
        },
        StaffRole::Prefecture | StaffRole::Administrator => Area::default(),
    }
}

/// Refuses a staff member who may not change `owner`'s records (they see that it is not theirs).
pub fn check_writable(staff: &SignedInStaff, owner: MunicipalityCode) -> Result<(), ApiError> {
    match staff.identity.permits(StaffAction::WritePlaces(owner)) {
        true => Ok(()),
        false => Err(PlacesError::Forbidden {
            actor: staff.identity.name.clone(),
            owner,
        }
        .into()),
    }
}

/// What an editor says about the stored record beside the form.
pub struct Stored {
    pub id: Uuid,
    pub status: &'static str,
    pub published: bool,
    pub version: i32,
}

impl Stored {
    pub fn new(id: Uuid, status: Status, version: i32) -> Self {
        Self {
            id,
            status: status.label_ja(),
            published: status == Status::Published,
            version,
        }
    }
}

/// Where a record stands with its organisation's review before publication, for any editor.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// The organisation publishes only after a colleague's review.
    pub required: bool,
    /// Who asked for a review of the current version, if someone did.
    pub requested_by: Option<String>,
    /// The one looking is a colleague who may publish the requested version.
    pub may_approve: bool,
}

impl Review {
    /// A request counts only for the version it names (`current`); a later save makes it stale.
    pub fn new(required: bool, request: Option<ReviewRequest>, current: Option<i32>, viewer: &str) -> Self {
        let requested_by = request
            .filter(|request| required && Some(request.version) == current)
            .map(|request| request.requested_by);
        Self {
            required,
            may_approve: requested_by.as_ref().is_some_and(|name| name != viewer),
            requested_by,
        }
    }

    /// For a place's or an event's editor: `owner` as the form has it, `request` the stored
    /// record's open one.
    pub async fn of_record(
        state: &AppState,
        staff: &SignedInStaff,
        owner: &str,
        stored: Option<&Stored>,
        request: Option<ReviewRequest>,
    ) -> Result<Self, ApiError> {
        let Ok(owner) = MunicipalityCode::parse(owner) else {
            return Ok(Self::default());
        };
        let required = state.registry.review_before_publishing(owner).await?;
        let current = stored.map(|stored| stored.version);
        Ok(Self::new(required, request, current, &staff.identity.name))
    }
}

/// The banner of a record's preview: its status and the way back to its editor.
pub fn preview(status: Status, editor: String) -> Preview {
    Preview {
        status: status.label_ja(),
        published: status == Status::Published,
        editor,
    }
}

/// Where an editor's form posts, what is stored, and what the last save did.
pub struct View {
    pub action: String,
    pub stored: Option<Stored>,
    pub notice: Option<String>,
}

/// What an editor says after 「保存して確認を依頼」 (`?saved=review`).
pub const REVIEW_REQUESTED: &str =
    "保存して、確認を依頼しました。同じ団体の別の職員が内容を確かめて公開します。";

impl View {
    pub fn new(action: String, stored: Option<Stored>) -> Self {
        Self {
            action,
            stored,
            notice: None,
        }
    }
}

/// Back to the record's editor after a save, saying what was done (`?saved=…`).
pub fn back_to(editor: &str, id: Uuid, what: &str) -> Response {
    let location = format!("{editor}/{id}/edit?saved={what}");
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}
