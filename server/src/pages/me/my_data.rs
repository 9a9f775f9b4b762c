//! `/me/data`: "My data". The consent history with a withdraw button per purpose, everything held
//! as a readable page and as a JSON download, and deleting everything after a clear confirmation.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{Vocabulary, japan};
use kosodate_households::{ConsentMethod, ConsentPurpose};
use serde::Deserialize;

use super::{Tabs, household_or_step, see_other};
use crate::auth::session::set_cookie;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::parent;
use crate::state::AppState;
use kosodate_domain::japan::format_date_with_weekday;

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    tabs: Tabs,
    csrf_token: String,
    active: Vec<ActiveConsent>,
    history: Vec<HistoryLine>,
    /// Partner apps the household's notices go to: (link id, app name, linked on).
    apps: Vec<(String, String, String)>,
    /// Everything held, as indented JSON: the readable copy of the download.
    held: String,
}

struct ActiveConsent {
    purpose: &'static str,
    title: &'static str,
    since: String,
}

struct HistoryLine {
    title: String,
    version: i32,
    method: String,
    granted: String,
    withdrawn: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    parent: SignedInParent,
    context: RequestContext,
) -> Result<Response, ApiError> {
    let household = match household_or_step(&state, &parent).await? {
        Ok(household) => household,
        Err(step) => return Ok(step),
    };
    let consents = parent::consents(&state, parent.account).await?;
    let held = crate::community::my_data(&state, parent.account, &context).await?;
    let day = |at| format_date_with_weekday(japan::date_of(at));
    let active = consents
        .purposes
        .iter()
        .filter_map(|entry| {
            let purpose = ConsentPurpose::parse(&entry.purpose)?;
            let since = entry.active.as_ref()?.granted_at;
            Some(ActiveConsent {
                purpose: purpose.id(),
                title: purpose.label_ja(),
                since: day(since),
            })
        })
        .collect();
    let history = consents
        .ledger
        .iter()
        .rev()
        .map(|record| HistoryLine {
            title: ConsentPurpose::parse(&record.purpose)
                .map_or_else(|| record.purpose.clone(), |purpose| purpose.label_ja().to_owned()),
            version: record.text_version,
            method: ConsentMethod::parse(&record.method)
                .map_or_else(|| record.method.clone(), |method| method.label_ja().to_owned()),
            granted: day(record.granted_at),
            withdrawn: record.withdrawn_at.map(day),
        })
        .collect();
    let apps = parent::linked_apps(&state, household)
        .await?
        .into_iter()
        .map(|app| (app.link_id, app.name, day(app.linked_at)))
        .collect();
    let page = MyDataPage {
        tabs: Tabs { current: "/me/data" },
        csrf_token: parent.csrf_token().to_owned(),
        active,
        history,
        apps,
        held: serde_json::to_string_pretty(&held).map_err(|_| ApiError::internal())?,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Everything held, as a file.
pub async fn download(
    State(state): State<AppState>,
    parent: SignedInParent,
    context: RequestContext,
) -> Result<Response, ApiError> {
    parent::download(&crate::community::my_data(&state, parent.account, &context).await?)
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage {
    csrf_token: String,
    error: bool,
    /// The parent has posted in the community: ask what becomes of the posts.
    community_member: bool,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    parent: SignedInParent,
) -> Result<Response, ApiError> {
    if let Err(step) = household_or_step(&state, &parent).await? {
        return Ok(step);
    }
    let page = DeletePage {
        csrf_token: parent.csrf_token().to_owned(),
        error: false,
        community_member: crate::community::standing(&state, parent.account)
            .await?
            .member
            .is_some(),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: Option<String>,
    /// What becomes of the community posts: `anonymise` unless `remove` is chosen.
    #[serde(default)]
    community_posts: Option<String>,
}

/// Deletes the household and everything held about it, and signs out.
pub async fn delete(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<DeleteForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    if fields.confirm.is_none() {
        let page = DeletePage {
            csrf_token: parent.csrf_token().to_owned(),
            error: true,
            community_member: crate::community::standing(&state, parent.account)
                .await?
                .member
                .is_some(),
        };
        return Ok(crate::pages::html(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let posts = fields
        .community_posts
        .as_deref()
        .and_then(kosodate_community::Departure::parse)
        .unwrap_or(kosodate_community::Departure::Anonymise);
    crate::community::delete_account(&state, parent.account, &context, posts).await?;
    let mut response = see_other("/?deleted=1");
    set_cookie(response.headers_mut(), &state.sessions.removal_cookie());
    Ok(response)
}
