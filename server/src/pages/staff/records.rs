//! What the staff editors of places and events share: whose records a staff member lists (their
//! municipality's, or everything for the prefecture and the operators), whether they may change
//! one, what the editor says about the stored record beside the form, the banner of its preview,
//! and where a save goes.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_places::{Area, PlacesError, Status};
use kosodate_registry::{StaffAction, StaffRole};
use uuid::Uuid;

use crate::error::ApiError;
use crate::pages::events::show::Preview;
use crate::pages::visitor::SignedInStaff;

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
}

impl Stored {
    pub fn new(id: Uuid, status: Status) -> Self {
        Self {
            id,
            status: status.label_ja(),
            published: status == Status::Published,
        }
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
