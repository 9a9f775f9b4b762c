//! `/me/calendar`, where a signed-in parent makes, replaces or stops the household's calendar
//! feed, and the feed itself at `/calendar/{secret}.ics`, which calendar apps fetch without
//! signing in. The secret is shown once, right after it is made: only its hash is stored, so a
//! lost URL is replaced, never shown again.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::{Vocabulary, japan};
use kosodate_households::{CalendarSecret, ConsentPurpose, HouseholdId};
use serde::Deserialize;

use super::calendar_feed::{self, FeedSite};
use super::visitor::{ParentForm, SignedInParent};
use crate::error::ApiError;
use crate::state::AppState;

/// A feed secret: 32 bytes in base64url without padding.
const SECRET_LENGTH: usize = 43;

/// Where the household's feed stands, as the page shows it.
#[derive(Debug)]
enum FeedState {
    NoHousehold,
    NoConsent,
    NoFeed,
    Active { made_on: String },
    JustMade(FeedLinks),
}

/// The ways to subscribe to a feed just made.
#[derive(Debug)]
struct FeedLinks {
    /// The feed's address, to paste into any calendar app.
    https: String,
    /// iPhone and iPad open `webcal:` addresses in their Calendar app.
    webcal: String,
    /// Google Calendar's page that adds a calendar by its address.
    google: String,
}

impl FeedLinks {
    fn new(public_url: &url::Url, secret: &CalendarSecret) -> Self {
        let https = public_url
            .join(&format!("calendar/{}.ics", secret.as_str()))
            .map_or_else(|_| format!("/calendar/{}.ics", secret.as_str()), String::from);
        let without_scheme = https.split_once("://").map_or(https.as_str(), |(_, rest)| rest);
        let webcal = format!("webcal://{without_scheme}");
        let google = format!(
            "https://calendar.google.com/calendar/render?cid={}",
            form_urlencoded::byte_serialize(webcal.as_bytes()).collect::<String>()
        );
        Self {
            https,
            webcal,
            google,
        }
    }
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage<'a> {
    csrf_token: &'a str,
    feed: FeedState,
    /// What the form just did, when it did something.
    done: Option<&'static str>,
}

/// A form with nothing to say beyond its CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

async fn household_of(state: &AppState, parent: &SignedInParent) -> Result<Option<HouseholdId>, ApiError> {
    let account = state.households.account(parent.account).await?;
    Ok(account.and_then(|account| account.household))
}

async fn feed_state(state: &AppState, household: Option<HouseholdId>) -> Result<FeedState, ApiError> {
    let Some(household) = household else {
        return Ok(FeedState::NoHousehold);
    };
    let consents = state.households.consent_ledger(household).await?;
    let matching = ConsentPurpose::Matching.id();
    if !consents
        .iter()
        .any(|consent| consent.purpose == matching && consent.withdrawn_at.is_none())
    {
        return Ok(FeedState::NoConsent);
    }
    Ok(match state.households.calendar_feed_made(household).await? {
        Some(made) => FeedState::Active {
            made_on: kosodate_matcher::japanese_date(japan::date_of(made)),
        },
        None => FeedState::NoFeed,
    })
}

fn render(parent: &SignedInParent, feed: FeedState, done: Option<&'static str>) -> Response {
    let page = CalendarPage {
        csrf_token: parent.csrf_token(),
        feed,
        done,
    };
    super::html(StatusCode::OK, &page)
}

/// What the feed is, and the household's feed as it stands.
pub async fn page(State(state): State<AppState>, parent: SignedInParent) -> Result<Response, ApiError> {
    let household = household_of(&state, &parent).await?;
    let feed = feed_state(&state, household).await?;
    Ok(render(&parent, feed, None))
}

/// Makes the household's feed, replacing the previous one, and shows its address this once.
pub async fn replace(
    State(state): State<AppState>,
    form: ParentForm<NoFields>,
) -> Result<Response, ApiError> {
    let parent = form.parent;
    let Some(household) = household_of(&state, &parent).await? else {
        return Ok(render(&parent, FeedState::NoHousehold, None));
    };
    let Some(secret) = state.households.replace_calendar_feed(household).await? else {
        return Ok(render(&parent, FeedState::NoConsent, None));
    };
    let links = FeedLinks::new(&state.public_url, &secret);
    Ok(render(
        &parent,
        FeedState::JustMade(links),
        Some("カレンダー用のURLを作りました。前に作ったURLがあれば、そのURLは使えなくなりました。"),
    ))
}

/// Stops the household's feed: its address answers 404 from now on.
pub async fn revoke(State(state): State<AppState>, form: ParentForm<NoFields>) -> Result<Response, ApiError> {
    let parent = form.parent;
    let household = household_of(&state, &parent).await?;
    if let Some(household) = household {
        state.households.revoke_calendar_feed(household).await?;
    }
    let feed = feed_state(&state, household).await?;
    Ok(render(
        &parent,
        feed,
        Some("カレンダーへの配信を止めました。登録したカレンダーからも、次の更新で予定が消えます。"),
    ))
}

fn no_such_feed() -> ApiError {
    ApiError::not_found(
        "このカレンダーのURLは使えません。マイページの「カレンダーに登録」で新しいURLを作ってください",
        "no calendar feed at this address (revoked, replaced or never made)",
    )
}

/// The feed, for calendar apps: no session, the secret in the address is the key.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let Some(secret) = file
        .strip_suffix(".ics")
        .filter(|secret| secret.len() == SECRET_LENGTH)
    else {
        return Err(no_such_feed());
    };
    let Some(household) = state.households.household_of_calendar_feed(secret).await? else {
        return Err(no_such_feed());
    };
    let today = japan::date_of(chrono::Utc::now());
    let Some(findings) = state.matching.findings_for(household, today).await? else {
        return Err(no_such_feed());
    };
    let site = FeedSite {
        public_url: &state.public_url,
        household_tag: FeedSite::household_tag(&household.to_string()),
    };
    let events = crate::pages::events::attended_days(&state, household, today).await?;
    let body = calendar_feed::render(&site, &findings, &events, today, chrono::Utc::now());
    let cache = format!("private, max-age={}", calendar_feed::REFRESH_SECONDS);
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(cache) = HeaderValue::from_str(&cache) {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
