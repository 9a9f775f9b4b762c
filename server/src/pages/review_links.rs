//! The page a review reminder's 「内容に変更なし」 link opens, without signing in: the signed
//! token names the program, the version the reminder was sent for, the staff member and an
//! expiry. A GET only shows what the button will record (mail scanners follow links); the POST
//! records the review as that staff member, in the program's history and the audit log.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use kosodate_domain::japan::{self, format_date};
use kosodate_registry::freshness::staff::StaffMember;
use kosodate_registry::{Program, ProgramStatus, Visibility};

use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::freshness::review_token::ReviewClaim;
use crate::state::AppState;

/// The notice links' page: a title, a sentence, and at most one button.
#[derive(Template)]
#[template(path = "notice_link.html")]
struct ReviewLinkPage<'a> {
    title: &'a str,
    body: &'a str,
    form_action: Option<String>,
}

fn page(status: StatusCode, title: &str, body: &str, form_action: Option<String>) -> Response {
    super::html(
        status,
        &ReviewLinkPage {
            title,
            body,
            form_action,
        },
    )
}

fn invalid_link() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "リンクが無効です",
        "このリンクは正しくありません。メールのリンクをもう一度開くか、職員用ページから確認を記録してください。",
        None,
    )
}

/// Why the link cannot record a review any more, as a page; `None` when it can.
fn refusal(claim: &ReviewClaim, program: &Program) -> Option<Response> {
    if claim.expires_at < Utc::now() {
        return Some(page(
            StatusCode::GONE,
            "リンクの有効期限が切れています",
            "このリンクの有効期限が過ぎました。職員用ページから確認を記録してください。",
            None,
        ));
    }
    if program.status == ProgramStatus::Archived {
        return Some(page(
            StatusCode::CONFLICT,
            "この制度は終了しています",
            &format!(
                "「{}」は終了した制度のため、確認の記録は不要です。",
                program.content.name
            ),
            None,
        ));
    }
    if program.version != claim.version {
        let body = format!(
            "「{}」はお知らせをお送りした後に更新されています（最終確認日: {}）。更新の保存で確認も記録されていますので、このリンクでの記録は不要です。内容は職員用ページでご確認ください。",
            program.content.name,
            program
                .content
                .last_reviewed_on
                .map_or_else(|| "未記録".to_owned(), |date| format_date(date.date())),
        );
        return Some(page(
            StatusCode::CONFLICT,
            "この制度はすでに更新されています",
            &body,
            None,
        ));
    }
    None
}

/// The claim, its program and the staff member it was sent to, if the token is good.
async fn resolve(
    state: &AppState,
    token: &str,
) -> Result<Option<(ReviewClaim, Program, StaffMember)>, ApiError> {
    let Some(claim) = state.freshness.reminders.signer().verify(token) else {
        return Ok(None);
    };
    let Some(member) = state.registry.staff_member(claim.staff).await? else {
        return Ok(None);
    };
    let program = match state.registry.program(claim.program, Visibility::Staff).await {
        Ok(program) => program,
        Err(kosodate_registry::RegistryError::ProgramNotFound(_)) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    Ok(Some((claim, program, member)))
}

/// Shows what the button records: mail scanners follow links, so a GET never acts.
pub async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, ApiError> {
    let Some((claim, program, _)) = resolve(&state, &token).await? else {
        return Ok(invalid_link());
    };
    if let Some(refused) = refusal(&claim, &program) {
        return Ok(refused);
    }
    let body = format!(
        "「{}」（確認期限: {}）の内容を確認し、変更がないことを記録します。記録すると、次の確認期限は{}か月後になります。",
        program.content.name,
        format_date(program.review_due_on()),
        program.content.review_cycle_months,
    );
    Ok(page(
        StatusCode::OK,
        "内容に変更なし",
        &body,
        Some(format!("/staff/reviews/{token}")),
    ))
}

/// Records the review as the staff member the reminder was sent to.
pub async fn perform(
    State(state): State<AppState>,
    Path(token): Path<String>,
    context: RequestContext,
) -> Result<Response, ApiError> {
    let Some((claim, program, member)) = resolve(&state, &token).await? else {
        return Ok(invalid_link());
    };
    if let Some(refused) = refusal(&claim, &program) {
        return Ok(refused);
    }
    let staff = member.identity();
    let result = state
        .registry
        .record_review(&staff, program.id, Some(claim.version))
        .await;
    let target = Some(program.id.to_string());
    let reviewed =
        crate::audit::program_action(&state, &staff, &context, "program.review", target, result).await?;
    let body = format!(
        "「{}」の確認を{}付けで記録しました。次の確認期限は{}です。",
        reviewed.content.name,
        format_date(japan::date_of(Utc::now())),
        format_date(reviewed.review_due_on()),
    );
    Ok(page(StatusCode::OK, "確認を記録しました", &body, None))
}
