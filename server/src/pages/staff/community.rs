//! `/staff/community`: the prefecture's care of the parents' community. The moderation queue
//! (reported posts, oldest first, with how many members reported each and why) with hide,
//! restore and dismiss, each with a reason; and the members who asked to be verified as experts.
//! Every decision goes through `crate::community` and is in the audit log with its post.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_community::{ModerationAction, PostKind, PostRef};
use kosodate_domain::japan::format_date_with_weekday;
use kosodate_domain::{Vocabulary, japan};
use kosodate_registry::StaffAction;
use uuid::Uuid;

use super::StaffChrome;
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::me::see_other;
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/community.html")]
struct CommunityPage {
    chrome: StaffChrome,
    queue: Vec<QueueRow>,
    experts: Vec<ExpertRow>,
    message: Option<&'static str>,
    error: Option<&'static str>,
}

struct QueueRow {
    kind: &'static str,
    kind_label: &'static str,
    id: String,
    question: String,
    question_title: String,
    body: String,
    reports: u32,
    reasons: String,
    notes: Vec<String>,
    since: String,
}

struct ExpertRow {
    account: String,
    display_name: String,
    profession: &'static str,
    organisation: String,
    requested: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Outcome {
    #[serde(default)]
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> Result<Response, ApiError> {
    let message = outcome.done.map(|_| "記録しました。操作記録にも残っています。");
    render(&state, &staff, &context, message, None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    staff: &SignedInStaff,
    context: &RequestContext,
    message: Option<&'static str>,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let action = StaffAction::ModerateCommunity;
    crate::audit::authorize(
        state,
        &staff.identity,
        context,
        action,
        "community.queue.view",
        None,
    )
    .await?;
    let day = |at| format_date_with_weekday(japan::date_of(at));
    let queue = state
        .community
        .moderation_queue()
        .await?
        .into_iter()
        .map(|item| QueueRow {
            kind: item.post.kind.id(),
            kind_label: item.post.kind.label_ja(),
            id: item.post.id.to_string(),
            question: item.question.to_string(),
            question_title: item.question_title,
            body: item.body,
            reports: item.reports,
            reasons: item
                .reasons
                .iter()
                .map(|(reason, count)| format!("{} {count}件", reason.label_ja()))
                .collect::<Vec<_>>()
                .join("、"),
            notes: item.notes,
            since: day(item.first_reported_at),
        })
        .collect();
    let experts = state
        .community
        .expert_requests()
        .await?
        .into_iter()
        .map(|request| ExpertRow {
            account: request.account.to_string(),
            display_name: request.display_name,
            profession: request.profession.label_ja(),
            organisation: request.organisation,
            requested: day(request.requested_at),
        })
        .collect();
    let page = CommunityPage {
        chrome: StaffChrome::load(state, staff, "/staff/community").await,
        queue,
        experts,
        message,
        error,
    };
    Ok(crate::pages::html(status, &page))
}

#[derive(Debug, serde::Deserialize)]
pub struct ModerateForm {
    kind: String,
    id: Uuid,
    action: String,
    #[serde(default)]
    reason: String,
}

/// Hides, restores or dismisses a reported post, with a reason.
pub async fn moderate(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<ModerateForm>,
) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = form;
    let (Some(kind), Some(action)) = (
        PostKind::parse(&fields.kind),
        ModerationAction::parse(&fields.action),
    ) else {
        return Err(ApiError::invalid_query(
            "action",
            "操作が正しくありません",
            "unknown post kind or action",
        ));
    };
    if fields.reason.trim().is_empty() {
        let error = Some("理由を入力してください。理由は操作記録に残ります。");
        return render(
            &state,
            &staff,
            &context,
            None,
            error,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let post = PostRef { kind, id: fields.id };
    crate::community::moderate(&state, &staff.identity, &context, post, action, &fields.reason).await?;
    Ok(see_other("/staff/community?done=1"))
}

#[derive(Debug, serde::Deserialize)]
pub struct ExpertForm {
    account: Uuid,
    /// `verify` or `revoke`.
    decision: String,
}

/// Verifies (or refuses and takes back) a member's expert badge.
pub async fn experts(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<ExpertForm>,
) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = form;
    let verify = fields.decision == "verify";
    crate::community::verify_expert(&state, &staff.identity, &context, fields.account, verify).await?;
    Ok(see_other("/staff/community?done=1#experts"))
}
