//! `/staff/deliveries`: notices given up on (dead letters): which channel, which kind, how many
//! attempts and the last error; never to whom or what they said. After fixing what made them
//! fail (a mail server, a LINE token), staff send them again, all or the ones ticked.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::{NoticeKind, Vocabulary, japan};
use kosodate_notifier::channel::ChannelKind;
use kosodate_notifier::outbox;
use kosodate_registry::StaffAction;
use serde::Deserialize;
use uuid::Uuid;

use super::StaffChrome;
use crate::audit::authorize;
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::state::AppState;

/// As many as the API lists; more wait for the next page view.
const LISTED: u64 = 500;

#[derive(Template)]
#[template(path = "staff/deliveries.html")]
struct DeliveriesPage {
    chrome: StaffChrome,
    letters: Vec<LetterRow>,
    requeued: Option<u64>,
}

struct LetterRow {
    id: String,
    channel: &'static str,
    kind: &'static str,
    attempts: i32,
    last_error: String,
    failed_at: String,
}

#[derive(Debug, Deserialize)]
pub struct DeliveriesQuery {
    requeued: Option<u64>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
    ApiQuery(query): ApiQuery<DeliveriesQuery>,
) -> Result<Response, ApiError> {
    let action = StaffAction::ManageDeliveries;
    authorize(
        &state,
        &staff.identity,
        &context,
        action,
        "notices.dead.view",
        None,
    )
    .await?;
    let letters = outbox::dead_letters(state.registry.connection(), LISTED)
        .await?
        .into_iter()
        .map(|letter| LetterRow {
            channel: ChannelKind::parse(&letter.channel_kind).map_or("不明", ChannelKind::label_ja),
            kind: NoticeKind::parse(&letter.kind).map_or("不明", NoticeKind::label_ja),
            attempts: letter.attempts,
            last_error: letter.last_error.unwrap_or_default(),
            failed_at: japan::local(letter.updated_at)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            id: letter.id,
        })
        .collect();
    let page = DeliveriesPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/deliveries").await,
        letters,
        requeued: query.requeued,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

pub async fn redrive(
    State(state): State<AppState>,
    context: RequestContext,
    // Pairs, because a form repeats `ids` once per ticked box.
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let identity = &form.staff.identity;
    authorize(
        &state,
        identity,
        &context,
        StaffAction::ManageDeliveries,
        "notices.redrive",
        None,
    )
    .await?;
    let everything = form
        .fields
        .iter()
        .any(|(name, value)| name == "scope" && value == "all");
    let ticked: Vec<Uuid> = form
        .fields
        .iter()
        .filter(|(name, _)| name == "ids")
        .filter_map(|(_, value)| Uuid::parse_str(value).ok())
        .collect();
    let ids = match everything {
        true => None,
        false => Some(ticked.as_slice()),
    };
    let requeued = match ids {
        Some([]) => 0,
        _ => outbox::redrive(state.registry.connection(), ids).await?,
    };
    let location = format!("/staff/deliveries?requeued={requeued}");
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}
