//! `/community/questions/{id}`: a question and its answers (the accepted one first; an expert's
//! with the badge 「保健師（確認済み）」), helpful marks, the asker's accept button, the answer
//! form with the same personal-data check as asking, report links, the author's edit and its
//! history, and beside it the programs that relate to it and where to ask in person.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_community::{AnswerInput, PostKind, PostRef, QuestionView, ReportReason, Viewer};
use kosodate_domain::japan::format_date_with_weekday;
use kosodate_domain::{Vocabulary, japan};
use kosodate_search::ProgramCard;
use strum::VariantArray;
use uuid::Uuid;

use super::{CommunityTabs, Refusal, list::tags, masking, member_or_join, place_groups};
use crate::community::{Refused, member_key, question_path};
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::me::see_other;
use crate::pages::visitor::{ParentForm, SignedInParent, Visitor};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "community_question.html")]
struct QuestionPage {
    tabs: CommunityTabs,
    csrf_token: Option<String>,
    question: QuestionView,
    tags: Vec<String>,
    asked_on: String,
    answers: Vec<AnswerItem>,
    member: bool,
    related: Vec<ProgramLink>,
    places_to_ask: Vec<ProgramLink>,
    draft: AnswerDraft,
}

struct AnswerItem {
    id: String,
    author: String,
    badge: Option<String>,
    body: String,
    helpful: u32,
    accepted: bool,
    own: bool,
    marked: bool,
    answered_on: String,
    edited: bool,
}

struct ProgramLink {
    id: String,
    name: String,
    summary: String,
    contact: Option<String>,
}

/// The answer form as it is shown again after a refusal.
#[derive(Default)]
struct AnswerDraft {
    body: String,
    refusal: Refusal,
}

pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    RecordId(id): RecordId<path_ids::Question>,
) -> Result<Response, ApiError> {
    render(&state, &visitor, id, AnswerDraft::default(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    visitor: &Visitor,
    id: Uuid,
    draft: AnswerDraft,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let account = visitor.parent();
    let viewer = account.map_or(Viewer::Public, |account| Viewer::Account(member_key(account)));
    let question = state.community.question(id, viewer).await?;
    let member = match account {
        Some(account) => crate::community::standing(state, account)
            .await?
            .posting_member()
            .is_some(),
        None => false,
    };
    let places = place_groups(state).await?;
    let related =
        crate::community::related_programs(state, &question.title, &question.body, question.municipality)
            .await;
    let places_to_ask = crate::community::places_to_ask(state, question.municipality).await;
    let page = QuestionPage {
        tabs: CommunityTabs {
            current: "/community",
        },
        csrf_token: visitor.session.as_ref().map(|session| session.csrf_token.clone()),
        tags: tags(
            question.category,
            question.municipality,
            question.region,
            question.age_band,
            &places,
        ),
        asked_on: format_date_with_weekday(japan::date_of(question.created_at)),
        answers: question.answers.iter().map(answer_item).collect(),
        member,
        related: links(state, related, false).await,
        places_to_ask: links(state, places_to_ask, true).await,
        draft,
        question,
    };
    Ok(crate::pages::html(status, &page))
}

fn answer_item(answer: &kosodate_community::AnswerView) -> AnswerItem {
    AnswerItem {
        id: answer.id.to_string(),
        author: answer.author.display_name.clone(),
        badge: answer
            .author
            .expert
            .map(|profession| format!("{}（確認済み）", profession.label_ja())),
        body: answer.body.clone(),
        helpful: answer.helpful_count,
        accepted: answer.accepted,
        own: answer.answered_by_viewer,
        marked: answer.marked_helpful_by_viewer,
        answered_on: format_date_with_weekday(japan::date_of(answer.created_at)),
        edited: answer.edited,
    }
}

async fn links(state: &AppState, cards: Vec<ProgramCard>, with_contact: bool) -> Vec<ProgramLink> {
    let mut links = Vec::with_capacity(cards.len());
    for card in cards {
        let contact = match with_contact {
            true => crate::community::contact_of(state, &card).await,
            false => None,
        };
        links.push(ProgramLink {
            id: card.id.to_string(),
            name: card.name,
            summary: card.summary,
            contact,
        });
    }
    links
}

#[derive(Debug, serde::Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    body: String,
    /// `post` or `mask`.
    #[serde(default)]
    action: String,
}

/// Posts an answer; a refusal shows the question again with the form as it was.
pub async fn answer(
    State(state): State<AppState>,
    context: RequestContext,
    visitor: Visitor,
    RecordId(id): RecordId<path_ids::Question>,
    form: ParentForm<AnswerForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    if let Err(join) = member_or_join(&state, &parent).await? {
        return Ok(join);
    }
    let input = AnswerInput {
        body: fields.body.clone(),
    };
    let masking = masking(&fields.action);
    let refusal = match crate::community::answer(&state, parent.account, &context, id, &input, masking).await
    {
        Ok(posted) => {
            return Ok(see_other(&format!(
                "{}#answer-{}",
                question_path(id),
                posted.answer
            )));
        }
        Err(Refused::Other(error)) => return Err(error),
        Err(Refused::Community(refusal)) => refusal,
    };
    let (status, refusal) = Refusal::of(refusal)?;
    let draft = AnswerDraft {
        body: fields.body,
        refusal,
    };
    render(&state, &visitor, id, draft, status).await
}

#[derive(Debug, serde::Deserialize)]
pub struct MarkForm {
    question: Uuid,
    #[serde(default)]
    undo: Option<String>,
}

/// 「役に立った」, or taking it back.
pub async fn helpful(
    State(state): State<AppState>,
    RecordId(answer): RecordId<path_ids::Answer>,
    form: ParentForm<MarkForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let member = crate::community::require_member(&state, parent.account).await?;
    match fields.undo {
        Some(_) => state.community.unmark_helpful(member.account, answer).await?,
        None => {
            state
                .community
                .mark_helpful(member.account, answer, chrono::Utc::now())
                .await?
        }
    };
    Ok(see_other(&format!(
        "{}#answer-{answer}",
        question_path(fields.question)
    )))
}

/// The asker chooses the best answer.
pub async fn accept(
    State(state): State<AppState>,
    RecordId(answer): RecordId<path_ids::Answer>,
    form: ParentForm<MarkForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let member = crate::community::require_member(&state, parent.account).await?;
    state.community.accept(member.account, answer).await?;
    Ok(see_other(&format!(
        "{}#answer-{answer}",
        question_path(fields.question)
    )))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    question: String,
}

#[derive(Template)]
#[template(path = "community_report.html")]
struct ReportPage {
    tabs: CommunityTabs,
    csrf_token: String,
    kind: &'static str,
    kind_label: &'static str,
    id: Uuid,
    question: Uuid,
    reasons: Vec<(&'static str, &'static str)>,
    error: bool,
}

fn report_target(query: &ReportQuery) -> Result<(PostKind, Uuid, Uuid), ApiError> {
    let not_found = || ApiError::not_found("報告する投稿が見つかりません", "no such post to report");
    let kind = PostKind::parse(&query.kind).ok_or_else(not_found)?;
    let id = Uuid::parse_str(&query.id).map_err(|_| not_found())?;
    let question = Uuid::parse_str(&query.question).unwrap_or(id);
    Ok((kind, id, question))
}

fn report_page(parent: &SignedInParent, target: (PostKind, Uuid, Uuid), error: bool) -> ReportPage {
    ReportPage {
        tabs: CommunityTabs {
            current: "/community",
        },
        csrf_token: parent.csrf_token().to_owned(),
        kind: target.0.id(),
        kind_label: target.0.label_ja(),
        id: target.1,
        question: target.2,
        reasons: ReportReason::VARIANTS
            .iter()
            .map(|reason| (reason.id(), reason.label_ja()))
            .collect(),
        error,
    }
}

/// `/community/report?kind=answer&id=…&question=…`: why the post should be looked at.
pub async fn report_page_get(
    State(state): State<AppState>,
    parent: SignedInParent,
    crate::extract::ApiQuery(query): crate::extract::ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    if let Err(join) = member_or_join(&state, &parent).await? {
        return Ok(join);
    }
    let target = report_target(&query)?;
    Ok(crate::pages::html(
        StatusCode::OK,
        &report_page(&parent, target, false),
    ))
}

#[derive(Debug, serde::Deserialize)]
pub struct ReportForm {
    #[serde(flatten)]
    target: ReportQuery,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

/// Records the report; staff see it in the moderation queue.
pub async fn report(
    State(state): State<AppState>,
    form: ParentForm<ReportForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let target = report_target(&fields.target)?;
    let Some(reason) = ReportReason::parse(&fields.reason) else {
        let page = report_page(&parent, target, true);
        return Ok(crate::pages::html(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let member = crate::community::require_member(&state, parent.account).await?;
    state
        .community
        .report(
            member.account,
            PostRef {
                kind: target.0,
                id: target.1,
            },
            reason,
            Some(fields.note.as_str()),
            chrono::Utc::now(),
        )
        .await?;
    Ok(see_other(&format!("{}?reported=1", question_path(target.2))))
}
