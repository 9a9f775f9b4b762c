//! `/community/mine`: the member's own page. Their questions (with how many answers each has:
//! where a member without notices sees new answers) and answers, their display name and whether
//! they are told of answers, the request to be verified as an expert, and leaving the community
//! with their posts anonymised or removed, as they choose.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use kosodate_community::{CommunityError, Departure, DisplayName, Member, Profession};
use kosodate_domain::japan::format_date_with_weekday;
use kosodate_domain::{Vocabulary, japan};
use strum::VariantArray;

use super::{CommunityTabs, FieldMessages, member_or_join};
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::me::see_other;
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "community_mine.html")]
struct MinePage {
    tabs: CommunityTabs,
    csrf_token: String,
    member: Member,
    expert: Option<String>,
    questions: Vec<MyQuestion>,
    answers: Vec<MyAnswer>,
    professions: Vec<(&'static str, &'static str)>,
    errors: FieldMessages,
    message: Option<&'static str>,
}

struct MyQuestion {
    id: String,
    title: String,
    answers: u32,
    accepted: bool,
    asked_on: String,
    hidden: bool,
}

struct MyAnswer {
    question: String,
    id: String,
    question_title: String,
    helpful: u32,
    accepted: bool,
    hidden: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct MineQuery {
    #[serde(default)]
    joined: Option<String>,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    requested: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    parent: SignedInParent,
    ApiQuery(query): ApiQuery<MineQuery>,
) -> Result<Response, ApiError> {
    let message = if query.joined.is_some() {
        Some("コミュニティに参加しました。")
    } else if query.saved.is_some() {
        Some("設定を保存しました。")
    } else if query.requested.is_some() {
        Some("専門職の確認を申請しました。県の担当者が確認すると、回答に資格が表示されます。")
    } else {
        None
    };
    render(&state, &parent, FieldMessages::default(), message, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    parent: &SignedInParent,
    errors: FieldMessages,
    message: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let member = match member_or_join(state, parent).await? {
        Ok(member) => member,
        Err(join) => return Ok(join),
    };
    let posts = state.community.mine(member.account).await?;
    let expert = member.expert.as_ref().map(|expert| match expert.verified_at {
        Some(_) => format!(
            "{}（確認済み）・{}",
            expert.profession.label_ja(),
            expert.organisation
        ),
        None => format!(
            "{}・{}（県の確認待ち）",
            expert.profession.label_ja(),
            expert.organisation
        ),
    });
    let page = MinePage {
        tabs: CommunityTabs {
            current: "/community/mine",
        },
        csrf_token: parent.csrf_token().to_owned(),
        expert,
        questions: posts
            .questions
            .iter()
            .map(|question| MyQuestion {
                id: question.id.to_string(),
                title: question.title.clone(),
                answers: question.answer_count,
                accepted: question.has_accepted_answer,
                asked_on: format_date_with_weekday(japan::date_of(question.created_at)),
                hidden: question.status.id() != "visible",
            })
            .collect(),
        answers: posts
            .answers
            .iter()
            .map(|answer| MyAnswer {
                question: answer.question.to_string(),
                id: answer.id.to_string(),
                question_title: answer.question_title.clone(),
                helpful: answer.helpful_count,
                accepted: answer.accepted,
                hidden: answer.status.id() != "visible",
            })
            .collect(),
        professions: Profession::VARIANTS
            .iter()
            .map(|profession| (profession.id(), profession.label_ja()))
            .collect(),
        member,
        errors,
        message,
    };
    Ok(crate::pages::html(status, &page))
}

#[derive(Debug, serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    notify_answers: Option<String>,
}

/// A new display name, and whether to be told of answers.
pub async fn settings(
    State(state): State<AppState>,
    form: ParentForm<SettingsForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let member = crate::community::require_member(&state, parent.account).await?;
    let name = match DisplayName::parse(&fields.display_name) {
        Ok(name) => name,
        Err(invalid) => {
            return render(
                &state,
                &parent,
                FieldMessages::of(&invalid),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if name.as_str() != member.display_name {
        match state.community.rename(member.account, &name).await {
            Ok(_) => {}
            Err(CommunityError::DisplayNameTaken) => {
                let taken = FieldMessages(vec![(
                    "display_name".into(),
                    CommunityError::DisplayNameTaken.message_ja(),
                )]);
                return render(&state, &parent, taken, None, StatusCode::CONFLICT).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
    state
        .community
        .set_notify_answers(member.account, fields.notify_answers.is_some())
        .await?;
    Ok(see_other("/community/mine?saved=1"))
}

#[derive(Debug, serde::Deserialize)]
pub struct ExpertForm {
    #[serde(default)]
    profession: String,
    #[serde(default)]
    organisation: String,
}

/// Asks the prefecture to verify the member as an expert.
pub async fn request_expert(
    State(state): State<AppState>,
    form: ParentForm<ExpertForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let member = crate::community::require_member(&state, parent.account).await?;
    let Some(profession) = Profession::parse(&fields.profession) else {
        let errors = FieldMessages(vec![("profession".into(), "職種を選んでください".into())]);
        return render(&state, &parent, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match state
        .community
        .request_expert(member.account, profession, &fields.organisation, Utc::now())
        .await
    {
        Ok(_) => Ok(see_other("/community/mine?requested=1")),
        Err(CommunityError::Invalid(invalid)) => {
            render(
                &state,
                &parent,
                FieldMessages::of(&invalid),
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct LeaveForm {
    #[serde(default)]
    departure: String,
}

/// Leaves the community; the posts stay without a name or go, as chosen.
pub async fn leave(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<LeaveForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let Some(departure) = Departure::parse(&fields.departure) else {
        let errors = FieldMessages(vec![(
            "departure".into(),
            "投稿を匿名で残すか、削除するかを選んでください".into(),
        )]);
        return render(&state, &parent, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    crate::community::depart(&state, parent.account, &context, departure).await?;
    Ok(see_other("/community?left=1"))
}
