//! What the editor's buttons do. Adding or removing a condition, replacing a kept rule and
//! 「入力内容を確認」 show the form again (the script's check posts here too); 「下書き保存」 and
//! 「公開する」 validate, save through the registry with the version the form was read at, and
//! record the action in the audit log; 「終了する」 archives.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::japan;
use kosodate_registry::{Program, ProgramInput, ProgramStatus, RegistryError, Visibility};

use super::builder::{ConditionRow, RuleMode};
use super::diff::diff;
use super::form::{self, FieldMessages, ProgramForm};
use super::page::{Lookup, View, load_writable, render};
use crate::audit;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

pub async fn new_program(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<Fields>,
) -> Result<Response, ApiError> {
    let view = View::new("/staff/programs/new".to_owned(), None);
    submit(&state, &context, form, view, None).await
}

pub async fn edit_program(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Program>,
    form: StaffForm<Fields>,
) -> Result<Response, ApiError> {
    let program = load_writable(&state, &form.staff, id).await?;
    let view = View::new(format!("/staff/programs/{}/edit", program.id), Some(&program));
    submit(&state, &context, form, view, Some(program)).await
}

/// The script's check as the clerk types: the page for the form as it is now, with its messages.
pub async fn check(State(state): State<AppState>, form: StaffForm<Fields>) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = form;
    let lookup = Lookup::load(&state).await?;
    let form = ProgramForm::from_fields(&fields);
    let (_, messages) = checked(&lookup, &form);
    let view = View::new(field(&fields, "form_action").to_owned(), None);
    render(&state, &staff, &lookup, form, messages, view, StatusCode::OK).await
}

async fn submit(
    state: &AppState,
    context: &RequestContext,
    form: StaffForm<Fields>,
    view: View,
    program: Option<Program>,
) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = form;
    let lookup = Lookup::load(state).await?;
    let mut form = ProgramForm::from_fields(&fields);
    let action = field(&fields, "action");
    if let Some(program) = &program
        && action == "archive"
    {
        let result = state.registry.archive_program(&staff.identity, program.id).await;
        let archived =
            audit::program_action(state, &staff.identity, context, "program.archive", None, result).await?;
        return Ok(back_to(&archived, "archived"));
    }
    if let Some(program) = &program
        && action == "approve"
    {
        let result = state.registry.publish_program(&staff.identity, program.id).await;
        let published =
            audit::program_action(state, &staff.identity, context, "program.publish", None, result).await?;
        program_changed(state, &published);
        return Ok(back_to(&published, "published"));
    }
    if edit_rows(&mut form, action, &fields) || action == "check" {
        let (_, messages) = checked(&lookup, &form);
        return render(state, &staff, &lookup, form, messages, view, StatusCode::OK).await;
    }
    let publish = action == "publish";
    let (input, messages) = checked(&lookup, &form);
    let blocking = messages.keys().any(|field| field != "contact" || publish);
    let (Some(input), false) = (input, blocking) else {
        return render(
            state,
            &staff,
            &lookup,
            form,
            messages,
            view,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match save(state, context, &staff, program.as_ref(), &form, &input, publish).await {
        Ok(saved) if action == "request_review" => {
            let result = state
                .registry
                .request_review(&staff.identity, saved.id)
                .await
                .map(|_| saved);
            let saved = audit::program_action(
                state,
                &staff.identity,
                context,
                "program.review_request",
                None,
                result,
            )
            .await?;
            Ok(back_to(&saved, "review"))
        }
        Ok(saved) => Ok(back_to(&saved, if publish { "published" } else { "draft" })),
        Err(SaveError::Conflict(current)) => {
            let (view, form) = conflict(&lookup, view, form, &input, &current);
            render(state, &staff, &lookup, form, messages, view, StatusCode::CONFLICT).await
        }
        Err(SaveError::Invalid(invalid)) => {
            let messages = form::messages(FieldMessages::new(), &input, &invalid);
            render(
                state,
                &staff,
                &lookup,
                form,
                messages,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(SaveError::Other(error)) => Err(error),
    }
}

/// Adds or removes a condition row, or drops a kept rule for the builder; whether it did.
fn edit_rows(form: &mut ProgramForm, action: &str, fields: &Fields) -> bool {
    let rows = &mut form.builder.rows;
    if action == "add_condition" {
        let kind = match field(fields, "new_kind") {
            "" => "age",
            kind => kind,
        };
        rows.push(ConditionRow::of_kind(kind));
    } else if let Some(index) = action
        .strip_prefix("remove_")
        .and_then(|index| index.parse::<usize>().ok())
    {
        if index < rows.len() {
            rows.remove(index);
        }
    } else if action == "replace_rule" {
        form.builder.mode = RuleMode::Build;
        rows.clear();
    } else {
        return false;
    }
    true
}

/// The input of a form and every message for it: what the form could not read, what validation
/// refused, and a missing contact (which stops publishing, not a draft).
pub fn checked(lookup: &Lookup, form: &ProgramForm) -> (Option<ProgramInput>, FieldMessages) {
    let (input, form_errors) = lookup.with_places(|places| form.to_input(places));
    let mut messages = match input.validate() {
        Ok(_) => form_errors,
        Err(invalid) => form::messages(form_errors, &input, &invalid.0),
    };
    let contact = &input.contact;
    if contact.phone.is_none() && contact.email.is_none() && contact.url.is_none() {
        messages.entry("contact".to_owned()).or_insert_with(|| {
            "問い合わせ先（電話番号・メールアドレス・URLのいずれか）を入力してください。公開には必要です"
                .to_owned()
        });
    }
    (Some(input), messages)
}

enum SaveError {
    /// A colleague saved another version meanwhile.
    Conflict(Box<Program>),
    Invalid(Vec<kosodate_registry::FieldError>),
    Other(ApiError),
}

async fn save(
    state: &AppState,
    context: &RequestContext,
    staff: &SignedInStaff,
    program: Option<&Program>,
    form: &ProgramForm,
    input: &ProgramInput,
    publish: bool,
) -> Result<Program, SaveError> {
    let identity = &staff.identity;
    let result = match program {
        None => state.registry.create_program(identity, input).await,
        Some(program) => {
            let version = form.version.parse::<i32>().ok();
            state
                .registry
                .update_program(identity, program.id, input, version)
                .await
        }
    };
    let result = match (result, program) {
        (Err(RegistryError::VersionMismatch { .. }), Some(program)) => {
            let current = state.registry.program(program.id, Visibility::Staff).await;
            return Err(current.map_or_else(
                |error| SaveError::Other(error.into()),
                |current| SaveError::Conflict(Box::new(current)),
            ));
        }
        (Err(RegistryError::Invalid(invalid)), _) => return Err(SaveError::Invalid(invalid.0)),
        (result, _) => result,
    };
    let action = if program.is_some() {
        "program.update"
    } else {
        "program.create"
    };
    let target = program.map(|program| program.id.to_string());
    let saved = audit::program_action(state, identity, context, action, target, result)
        .await
        .map_err(SaveError::Other)?;
    program_changed(state, &saved);
    if !publish || saved.status == ProgramStatus::Published {
        return Ok(saved);
    }
    let result = state.registry.publish_program(identity, saved.id).await;
    let published = audit::program_action(state, identity, context, "program.publish", None, result)
        .await
        .map_err(SaveError::Other)?;
    program_changed(state, &published);
    Ok(published)
}

/// What follows a change to a program, as after the API's: households are matched again, and
/// this process's search index looks at once.
fn program_changed(state: &AppState, program: &Program) {
    crate::rematch::program_later(state.matching.clone(), program.id);
    state.search.follower.nudge();
}

/// The form as typed, now based on the colleague's version, with what differs between the two.
fn conflict(
    lookup: &Lookup,
    mut view: View,
    mut form: ProgramForm,
    typed: &ProgramInput,
    current: &Program,
) -> (View, ProgramForm) {
    let theirs = ProgramInput::from(current.content.clone());
    view.conflict = diff(&theirs, typed, &|code| lookup.name(code));
    view.notice = Some(format!(
        "この制度は、開いている間にほかの職員が変更しました（{}が保存した版）。下の違いを確かめてから、もう一度保存してください。入力した内容はそのまま残っています。",
        japan::local(current.updated_at).format("%H時%M分")
    ));
    form.version = current.version.to_string();
    (view, form)
}

fn back_to(program: &Program, what: &str) -> Response {
    let location = format!("/staff/programs/{}/edit?saved={what}", program.id);
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}
