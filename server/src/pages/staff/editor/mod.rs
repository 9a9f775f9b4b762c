//! The program editor, `/staff/programs/new` and `/staff/programs/{id}/edit`: a program entered as
//! a form, never as JSON. Every field has help in Japanese and is read in everyday wording
//! (`wording`, `form`); the eligibility builder (`builder`) writes the rule document the API
//! takes and shows beside it the sentence parents will read; 「入力内容を確認」 (or the editor's
//! script, `/staff/programs/check`, as the clerk types) shows the API's messages at their fields
//! and a preview for example children (`preview`). Saving goes through the registry with
//! optimistic locking: a colleague's change in between is shown as a difference (`diff`) and
//! nothing typed is lost. The history page (`history`) compares any two versions. Where the
//! organisation asks for it (`settings`), a colleague publishes after 「確認を依頼」.

mod builder;
mod diff;
mod form;
mod history;
mod page;
mod preview;
mod settings;
mod submit;
mod wording;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/staff/programs/new",
            get(page::new_program).post(submit::new_program),
        )
        .route("/staff/programs/check", post(submit::check))
        .route(
            "/staff/programs/{id}/edit",
            get(page::edit_program).post(submit::edit_program),
        )
        .route("/staff/programs/{id}/history", get(history::page))
        .route("/staff/settings", get(settings::page).post(settings::save))
}
