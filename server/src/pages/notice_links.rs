//! The pages a notice's links open without signing in: "applied already", "not interested" and
//! unsubscribe (also the RFC 8058 one-click target). A GET only shows what the link will do,
//! with a button: mail scanners follow links, so only the POST acts.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_households::{Dismissal, HouseholdId};
use kosodate_notifier::NoticeAction;
use kosodate_notifier::outbox;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "notice_link.html")]
struct NoticeLinkPage<'a> {
    title: &'a str,
    body: &'a str,
    form_action: Option<String>,
}

fn page(status: StatusCode, title: &str, body: &str, form_action: Option<String>) -> Response {
    super::html(
        status,
        &NoticeLinkPage {
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
        "このリンクは正しくないか、お知らせが削除されています。",
        None,
    )
}

/// Shows what the link will do, with a button: mail scanners follow links, so a GET never acts.
pub async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some((_, action, _)) = state.notices.signer.verify(&token) else {
        return invalid_link();
    };
    let (title, body) = match action {
        NoticeAction::Applied => (
            "申請済みにする",
            "この制度の申請期限などのお知らせを今後送りません。",
        ),
        NoticeAction::NotInterested => (
            "この制度のお知らせを止める",
            "この制度についてのお知らせを今後送りません。",
        ),
        NoticeAction::Unsubscribe => (
            "配信を停止する",
            "この方法（メール・LINE・プッシュ通知）でのお知らせを停止します。マイページからいつでも再開できます。",
        ),
    };
    page(
        StatusCode::OK,
        title,
        body,
        Some(format!("/notices/actions/{token}")),
    )
}

/// Does what the link says; also the RFC 8058 one-click unsubscribe target.
pub async fn perform(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, ApiError> {
    let Some((notice, action, position)) = state.notices.signer.verify(&token) else {
        return Ok(invalid_link());
    };
    let Some(found) = outbox::notice_ref(state.registry.connection(), notice).await? else {
        return Ok(invalid_link());
    };
    let household = HouseholdId::from(found.household_id);
    let (title, body) = match action {
        NoticeAction::Unsubscribe => {
            let channel = found.channel_id.to_string();
            match state
                .households
                .set_channel_opt_in(household, &channel, false)
                .await
            {
                Ok(()) | Err(kosodate_households::HouseholdError::ChannelNotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
            (
                "配信を停止しました",
                "この方法でのお知らせを停止しました。マイページからいつでも再開できます。",
            )
        }
        NoticeAction::Applied | NoticeAction::NotInterested => {
            let Some(program) = found.content.programs.get(usize::from(position)) else {
                return Ok(invalid_link());
            };
            let reason = match action {
                NoticeAction::Applied => Dismissal::Applied,
                _ => Dismissal::NotInterested,
            };
            state
                .households
                .dismiss_program(household, &program.program_id, reason)
                .await?;
            ("承りました", "この制度についてのお知らせを今後送りません。")
        }
    };
    Ok(page(StatusCode::OK, title, body, None))
}
