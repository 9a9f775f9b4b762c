//! `/me/notices`: every notice sent or waiting for the household, newest first, with what
//! became of it, so that a parent who missed one can see it again.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{NoticeKind, Vocabulary, japan};
use kosodate_notifier::{ChannelKind, NoticeStatus};

use super::{Tabs, household_or_step};
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::visitor::SignedInParent;
use crate::parent;
use crate::state::AppState;
use kosodate_domain::japan::format_date_with_weekday;

/// Enough to cover a year of reminders; older ones are in "My data".
const SHOWN: usize = 100;

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    tabs: Tabs,
    notices: Vec<NoticeView>,
}

struct NoticeView {
    date: String,
    title: String,
    kind: &'static str,
    channel: &'static str,
    status: &'static str,
    program_id: Option<String>,
}

pub async fn page(State(state): State<AppState>, parent: SignedInParent) -> Result<Response, ApiError> {
    let id = match household_or_step(&state, &parent).await? {
        Ok(id) => id,
        Err(step) => return Ok(step),
    };
    let held =
        kosodate_notifier::held::notices_of_household(state.households.connection(), id.as_uuid()).await?;
    parent::record_access(&state, &RequestContext { request_id: None }, "notices.read", id).await?;
    let notices = held
        .iter()
        .rev()
        .take(SHOWN)
        .map(|notice| NoticeView {
            date: format_date_with_weekday(japan::date_of(notice.sent_at.unwrap_or(notice.not_before))),
            title: program_names(&notice.content),
            kind: NoticeKind::parse(&notice.kind).map_or("お知らせ", NoticeKind::label_ja),
            channel: ChannelKind::parse(&notice.channel_kind).map_or("", ChannelKind::label_ja),
            status: NoticeStatus::parse(&notice.status).map_or("", NoticeStatus::label_ja),
            program_id: notice.program_id.clone(),
        })
        .collect();
    let page = NoticesPage {
        tabs: Tabs {
            current: "/me/notices",
        },
        notices,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// The programs a notice was about, by name.
fn program_names(content: &serde_json::Value) -> String {
    content["programs"]
        .as_array()
        .map(|programs| {
            programs
                .iter()
                .filter_map(|program| program["name"].as_str())
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default()
}
