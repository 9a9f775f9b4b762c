//! `/staff/counts`: households and notices by municipality, purpose and channel, for the
//! municipality's own staff (their municipality) and the prefecture (all 40). Counts only, each
//! under 10 shown as 「10件未満」, and no totals: a total beside suppressed cells would give them
//! away.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_households::{ConsentPurpose, ReportedCount};
use kosodate_notifier::channel::ChannelKind;
use kosodate_notifier::outbox::NoticeStatus;
use kosodate_registry::{StaffAction, StaffRole};
use strum::VariantArray;

use super::{StaffChrome, reported_count};
use crate::audit::authorize;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::places::Places;
use crate::pages::visitor::SignedInStaff;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/counts.html")]
struct CountsPage {
    chrome: StaffChrome,
    purposes: Vec<&'static str>,
    households: Vec<HouseholdRow>,
    statuses: Vec<&'static str>,
    notices: Vec<NoticeRow>,
}

struct HouseholdRow {
    municipality: String,
    households: String,
    at_counter: String,
    consents: Vec<String>,
}

struct NoticeRow {
    municipality: String,
    channel: &'static str,
    by_status: Vec<String>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
) -> Result<Response, ApiError> {
    let scope = own_municipality(&staff.identity.role);
    let action = StaffAction::ViewCounts(scope);
    authorize(&state, &staff.identity, &context, action, "counts.view", scope).await?;
    let places = Places::load(&state).await?;
    let counts = state.households.counts(scope).await?;
    let purposes: Vec<ConsentPurpose> = ConsentPurpose::VARIANTS.to_vec();
    let households = counts
        .iter()
        .map(|row| HouseholdRow {
            municipality: places.name_of(&row.municipality_code),
            households: reported_count(row.households, ""),
            at_counter: reported_count(row.registered_at_counter, ""),
            consents: purposes
                .iter()
                .map(|purpose| {
                    row.consents
                        .get(purpose.id())
                        .copied()
                        .map_or_else(|| "0".to_owned(), |count| reported_count(count, ""))
                })
                .collect(),
        })
        .collect();
    let page = CountsPage {
        chrome: StaffChrome::load(&state, &staff, "/staff/counts").await,
        purposes: purposes.iter().map(|purpose| purpose.label_ja()).collect(),
        households,
        statuses: NoticeStatus::VARIANTS
            .iter()
            .map(|status| status.label_ja())
            .collect(),
        notices: notice_rows(&state, scope, &places).await?,
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Municipal staff see their municipality; the prefecture and the operators all of them.
fn own_municipality(role: &StaffRole) -> Option<MunicipalityCode> {
    match role {
        StaffRole::Municipal(code) => Some(*code),
        StaffRole::Prefecture | StaffRole::Administrator => None,
    }
}

/// One row per municipality and channel, one cell per status.
async fn notice_rows(
    state: &AppState,
    scope: Option<MunicipalityCode>,
    places: &Places,
) -> Result<Vec<NoticeRow>, ApiError> {
    let mut cells: BTreeMap<(String, String), BTreeMap<String, ReportedCount>> = BTreeMap::new();
    for count in state.households.notice_counts(scope).await? {
        cells
            .entry((count.municipality_code, count.channel))
            .or_default()
            .insert(count.status, count.notices);
    }
    Ok(cells
        .into_iter()
        .map(|((code, channel), statuses)| NoticeRow {
            municipality: places.name_of(&code),
            channel: ChannelKind::parse(&channel).map_or("不明", ChannelKind::label_ja),
            by_status: NoticeStatus::VARIANTS
                .iter()
                .map(|status| {
                    statuses
                        .get(status.id())
                        .copied()
                        .map_or_else(|| "0".to_owned(), |count| reported_count(count, ""))
                })
                .collect(),
        })
        .collect())
}
