//! Editing one's own question (`/community/questions/{id}/edit`) or answer
//! (`/community/questions/{id}/answers/{answer}/edit`), with the same personal-data check as
//! posting, and a question's history (`/community/questions/{id}/history`): every earlier text is
//! kept and shown.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use kosodate_community::{AnswerInput, CommunityError, PostKind, QuestionInput, Viewer};
use kosodate_domain::japan;
use kosodate_domain::japan::format_date_with_weekday;
use uuid::Uuid;

use super::ask::AskForm;
use super::{CommunityTabs, FieldMessages, FoundView, Refusal, masking, member_or_join};
use crate::community::{member_key, question_path};
use crate::error::ApiError;
use crate::pages::me::see_other;
use crate::pages::visitor::{ParentForm, SignedInParent, Visitor};
use crate::path_ids::{self, RecordId, RecordIds};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "community_edit.html")]
struct EditPage {
    tabs: CommunityTabs,
    csrf_token: String,
    id: Uuid,
    title: String,
    body_label: &'static str,
    body: String,
    errors: FieldMessages,
    found: Option<FoundView>,
    refusal: Option<String>,
    cancel: String,
}

/// The author's question, or 403 for anyone else.
async fn own_question(
    state: &AppState,
    parent: &SignedInParent,
    id: Uuid,
) -> Result<kosodate_community::QuestionView, ApiError> {
    let question = state
        .community
        .question(id, Viewer::Account(member_key(parent.account)))
        .await?;
    match question.asked_by_viewer {
        true => Ok(question),
        false => Err(CommunityError::NotAuthor("edit the question").into()),
    }
}

pub async fn page(
    State(state): State<AppState>,
    parent: SignedInParent,
    RecordId(id): RecordId<path_ids::Question>,
) -> Result<Response, ApiError> {
    if let Err(join) = member_or_join(&state, &parent).await? {
        return Ok(join);
    }
    let question = own_question(&state, &parent, id).await?;
    let page = EditPage {
        tabs: CommunityTabs {
            current: "/community/mine",
        },
        csrf_token: parent.csrf_token().to_owned(),
        id,
        title: question.title,
        body_label: "質問の内容",
        body: question.body,
        errors: FieldMessages::default(),
        found: None,
        refusal: None,
        cancel: question_path(id),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Saves the new text; the one it replaces is kept in the history.
pub async fn save(
    State(state): State<AppState>,
    RecordId(id): RecordId<path_ids::Question>,
    form: ParentForm<AskForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let member = crate::community::require_member(&state, parent.account).await?;
    let question = own_question(&state, &parent, id).await?;
    let input = QuestionInput {
        category: question.category,
        municipality: question.municipality.map(|code| code.to_string()),
        region: question.region,
        age_band: question.age_band,
        title: fields.title.clone(),
        body: fields.body.clone(),
    };
    let masking = masking(&fields.action);
    let refusal = match state
        .community
        .edit_question(member.account, id, &input, masking, Utc::now())
        .await
    {
        Ok(()) => {
            state.question_search.nudge();
            return Ok(see_other(&question_path(id)));
        }
        Err(refusal) => refusal,
    };
    let (status, refusal) = Refusal::of(refusal)?;
    let page = EditPage {
        tabs: CommunityTabs {
            current: "/community/mine",
        },
        csrf_token: parent.csrf_token().to_owned(),
        id,
        title: fields.title,
        body_label: "質問の内容",
        body: fields.body,
        errors: refusal.errors,
        found: refusal.found,
        refusal: refusal.message,
        cancel: question_path(id),
    };
    Ok(crate::pages::html(status, &page))
}

#[derive(Template)]
#[template(path = "community_history.html")]
struct HistoryPage {
    tabs: CommunityTabs,
    id: Uuid,
    title: String,
    body: String,
    versions: Vec<(String, Option<String>, String)>,
}

/// Every earlier text of a question, newest first, below the current one.
pub async fn history(
    State(state): State<AppState>,
    visitor: Visitor,
    RecordId(id): RecordId<path_ids::Question>,
) -> Result<Response, ApiError> {
    let viewer = visitor
        .parent()
        .map_or(Viewer::Public, |account| Viewer::Account(member_key(account)));
    let question = state.community.question(id, viewer).await?;
    let versions = state
        .community
        .revisions(PostKind::Question, id)
        .await?
        .into_iter()
        .rev()
        .map(|revision| {
            (
                format_date_with_weekday(japan::date_of(revision.edited_at)),
                revision.title,
                revision.body,
            )
        })
        .collect();
    let page = HistoryPage {
        tabs: CommunityTabs {
            current: "/community",
        },
        id,
        title: question.title,
        body: question.body,
        versions,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "community_answer_edit.html")]
struct AnswerEditPage {
    tabs: CommunityTabs,
    csrf_token: String,
    question: Uuid,
    question_title: String,
    id: Uuid,
    body_label: &'static str,
    body: String,
    errors: FieldMessages,
    found: Option<FoundView>,
    refusal: Option<String>,
    cancel: String,
}

impl AnswerEditPage {
    fn new(parent: &SignedInParent, question: Uuid, question_title: String, id: Uuid, body: String) -> Self {
        Self {
            tabs: CommunityTabs {
                current: "/community/mine",
            },
            csrf_token: parent.csrf_token().to_owned(),
            question,
            question_title,
            id,
            body_label: "回答の内容",
            body,
            errors: FieldMessages::default(),
            found: None,
            refusal: None,
            cancel: format!("{}#answer-{id}", question_path(question)),
        }
    }
}

/// The question's title and the author's answer under it, or 403 for anyone else.
async fn own_answer(
    state: &AppState,
    parent: &SignedInParent,
    question: Uuid,
    id: Uuid,
) -> Result<(String, kosodate_community::AnswerView), ApiError> {
    let question = state
        .community
        .question(question, Viewer::Account(member_key(parent.account)))
        .await?;
    let answer = question
        .answers
        .into_iter()
        .find(|answer| answer.id == id)
        .ok_or(CommunityError::AnswerNotFound(id))?;
    match answer.answered_by_viewer {
        true => Ok((question.title, answer)),
        false => Err(CommunityError::NotAuthor("edit the answer").into()),
    }
}

pub async fn answer_page(
    State(state): State<AppState>,
    parent: SignedInParent,
    RecordIds(question, id): RecordIds<path_ids::Question, path_ids::Answer>,
) -> Result<Response, ApiError> {
    if let Err(join) = member_or_join(&state, &parent).await? {
        return Ok(join);
    }
    let (title, answer) = own_answer(&state, &parent, question, id).await?;
    let page = AnswerEditPage::new(&parent, question, title, id, answer.body);
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Saves the answer's new text; the one it replaces is kept as a revision.
pub async fn save_answer(
    State(state): State<AppState>,
    RecordIds(question, id): RecordIds<path_ids::Question, path_ids::Answer>,
    form: ParentForm<AskForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let member = crate::community::require_member(&state, parent.account).await?;
    let (title, _) = own_answer(&state, &parent, question, id).await?;
    let input = AnswerInput {
        body: fields.body.clone(),
    };
    let masking = masking(&fields.action);
    let refusal = match state
        .community
        .edit_answer(member.account, id, &input, masking, Utc::now())
        .await
    {
        Ok(()) => return Ok(see_other(&format!("{}#answer-{id}", question_path(question)))),
        Err(refusal) => refusal,
    };
    let (status, refusal) = Refusal::of(refusal)?;
    let mut page = AnswerEditPage::new(&parent, question, title, id, fields.body);
    page.errors = refusal.errors;
    page.found = refusal.found;
    page.refusal = refusal.message;
    Ok(crate::pages::html(status, &page))
}
