//! The signed-in parent's pages, in the order a new parent meets them: sign in (`login`), agree
//! to why data is asked (`consent`), enter the household (`household`), choose how to be told
//! (`channels`), then the programs (`programs`, the page `/me` itself), the notices sent
//! (`notices`) and "My data" (`my_data`). Each step sends a parent who skipped an earlier one back
//! to it. Everything a page changes goes through `crate::parent`, the same operations as the
//! JSON API.

mod channels;
mod consent;
mod household;
mod login;
mod my_data;
mod notices;
mod programs;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kosodate_households::{ConsentPurpose, HouseholdId};

pub use login::{ProviderButton, parent_buttons};

use super::visitor::SignedInParent;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::page))
        .route("/me", get(programs::page))
        .route("/me/programs/{id}/mark", post(programs::mark))
        .route("/me/answer", post(programs::answer))
        .route("/me/consent", get(consent::page).post(consent::give))
        .route("/me/consent/withdraw", post(consent::withdraw))
        .route("/me/household", get(household::page).post(household::save))
        .route("/me/channels", get(channels::page))
        .route("/me/channels/email", post(channels::add_email))
        .route("/me/channels/line", post(channels::add_line))
        .route("/me/channels/web-push", post(channels::add_web_push))
        .route("/me/channels/{id}/switch", post(channels::switch))
        .route("/me/channels/{id}/remove", post(channels::remove))
        .route("/me/channels/verify", get(channels::verify))
        .route("/me/preferences", post(channels::save_preferences))
        .route("/me/notices", get(notices::page))
        .route("/me/data", get(my_data::page))
        .route("/me/data/export.json", get(my_data::download))
        .route(
            "/me/data/delete",
            get(my_data::confirm_delete).post(my_data::delete),
        )
}

/// The tabs of the signed-in pages; `current` is the path of the page showing them.
#[derive(Debug)]
pub struct Tabs {
    pub current: &'static str,
}

impl Tabs {
    pub const ALL: [(&'static str, &'static str); 5] = [
        ("/me", "対象の制度"),
        ("/me/notices", "お知らせ履歴"),
        ("/me/channels", "連絡方法"),
        ("/me/household", "登録内容"),
        ("/me/data", "同意とデータ"),
    ];

    pub fn is_current(&self, href: &str) -> bool {
        href == self.current
    }
}

/// Where the parent has got to: the first step not yet done, if any.
pub enum Progress {
    NeedsConsent,
    NeedsHousehold,
    Ready(HouseholdId),
}

pub async fn progress(state: &AppState, parent: &SignedInParent) -> Result<Progress, ApiError> {
    if let Some(id) = crate::parent::household(state, parent.account).await? {
        return Ok(Progress::Ready(id));
    }
    let consents = crate::parent::consents(state, parent.account).await?;
    match consents.is_active(ConsentPurpose::Matching) {
        true => Ok(Progress::NeedsHousehold),
        false => Ok(Progress::NeedsConsent),
    }
}

/// The step the parent must take before this page, or the household.
pub async fn household_or_step(
    state: &AppState,
    parent: &SignedInParent,
) -> Result<Result<HouseholdId, Response>, ApiError> {
    Ok(match progress(state, parent).await? {
        Progress::Ready(id) => Ok(id),
        Progress::NeedsHousehold => Err(see_other("/me/household")),
        Progress::NeedsConsent => Err(see_other("/me/consent")),
    })
}

/// After a form: the page to show next (POST, redirect, GET).
pub fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location.to_owned())]).into_response()
}
