//! The pages of municipal and prefecture staff, under `/staff`: the same look, template engine
//! and accessibility bars as the parents' pages, over the same services as the JSON API. Every
//! page is for a signed-in staff member ([`SignedInStaff`]); every form is checked against the
//! session's CSRF token ([`StaffForm`](crate::pages::visitor::StaffForm)); what a staff member may
//! do is decided by `StaffIdentity::permits` in the registry, never here. Staff see programs and
//! counts, never a household.

mod audit_log;
mod changes;
mod community;
mod counter;
mod counts;
mod deliveries;
mod editor;
mod events;
mod form_fields;
mod freshness;
mod home;
mod import;
mod insights;
mod login;
mod partners;
mod places;
mod records;
mod types;
mod upload;
mod versions;

use axum::Router;
use axum::routing::{get, post};
use kosodate_domain::PREFECTURE_CODE;
use kosodate_registry::StaffRole;

use super::visitor::SignedInStaff;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(home::page))
        .route("/staff/freshness", get(freshness::page))
        .route("/staff/login", get(login::page))
        .route("/staff/programs/types", get(types::page))
        .route("/staff/logout", post(login::logout))
        .route("/staff/counts", get(counts::page))
        .route("/staff/deliveries", get(deliveries::page))
        .route("/staff/deliveries/redrive", post(deliveries::redrive))
        .route("/staff/audit", get(audit_log::page))
        .route("/staff/community", get(community::page))
        .route("/staff/community/moderate", post(community::moderate))
        .route("/staff/community/experts", post(community::experts))
        .route("/staff/partners", get(partners::page).post(partners::register))
        .route("/staff/partners/{id}/revoke", post(partners::revoke))
        .route("/staff/partners/{id}/rotate", post(partners::rotate))
        .merge(editor::router())
        .merge(events::router())
        .merge(places::router())
        .merge(insights::router())
        .merge(bulk_routes())
}

fn bulk_routes() -> Router<AppState> {
    Router::new()
        .route("/staff/import", get(import::page).post(import::upload))
        .route("/staff/import/{id}", get(import::review))
        .route("/staff/import/{id}/apply", post(import::apply))
        .route("/staff/counter", get(counter::page).post(counter::register))
}

/// What every staff page shows around its content: who is signed in, for which organisation,
/// the menu, and the CSRF token for the forms of the page.
#[derive(Debug, Clone)]
pub struct StaffChrome {
    pub name: String,
    /// 「弘前市」, 「青森県」, or 「運営者」 for administrators.
    pub organisation: String,
    pub csrf_token: String,
    /// The path of the menu entry the page belongs to.
    pub current: &'static str,
    pub prefecture_wide: bool,
    pub administrator: bool,
}

/// One entry of the staff menu.
#[derive(Debug)]
pub struct MenuLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// Who a menu entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MenuFor {
    Everyone,
    /// Staff of a municipality: its own counter.
    Municipal,
    /// The prefecture and the operators, who oversee every municipality.
    PrefectureWide,
    /// The operators of the service only.
    Administrators,
}

/// The menu: what every staff member does, then what the prefecture oversees.
const MENU: &[(&str, &str, MenuFor)] = &[
    ("/staff", "ホーム", MenuFor::Everyone),
    ("/staff/programs/types", "制度を登録", MenuFor::Everyone),
    ("/staff/settings", "団体の設定", MenuFor::Everyone),
    ("/staff/places", "施設", MenuFor::Everyone),
    ("/staff/events", "イベント", MenuFor::Everyone),
    ("/staff/import", "一括登録", MenuFor::Everyone),
    ("/staff/counter", "窓口での登録", MenuFor::Municipal),
    ("/staff/freshness", "更新状況", MenuFor::PrefectureWide),
    ("/staff/insights", "政策分析", MenuFor::PrefectureWide),
    ("/staff/counts", "登録件数", MenuFor::Everyone),
    ("/staff/deliveries", "配信エラー", MenuFor::PrefectureWide),
    ("/staff/community", "コミュニティ管理", MenuFor::PrefectureWide),
    ("/staff/audit", "操作記録", MenuFor::Everyone),
    ("/staff/partners", "提携アプリ", MenuFor::Administrators),
];

impl StaffChrome {
    pub async fn load(state: &AppState, staff: &SignedInStaff, current: &'static str) -> Self {
        let organisation = organisation_name(state, &staff.identity.role).await;
        Self {
            name: staff.identity.name.clone(),
            organisation,
            csrf_token: staff.csrf_token().to_owned(),
            current,
            prefecture_wide: !matches!(staff.identity.role, StaffRole::Municipal(_)),
            administrator: staff.identity.role == StaffRole::Administrator,
        }
    }

    pub fn menu(&self) -> Vec<MenuLink> {
        MENU.iter()
            .filter(|(_, _, audience)| match audience {
                MenuFor::Everyone => true,
                MenuFor::Municipal => !self.prefecture_wide,
                MenuFor::PrefectureWide => self.prefecture_wide,
                MenuFor::Administrators => self.administrator,
            })
            .map(|&(href, label, _)| MenuLink {
                href,
                label,
                current: href == self.current,
            })
            .collect()
    }
}

/// The organisation's name as people say it; the code when the registry cannot say.
pub async fn organisation_name(state: &AppState, role: &StaffRole) -> String {
    let code = match role {
        StaffRole::Municipal(code) => *code,
        StaffRole::Prefecture => PREFECTURE_CODE,
        StaffRole::Administrator => return "運営者".to_owned(),
    };
    match state.registry.municipality(code).await {
        Ok(municipality) => municipality.name,
        Err(error) => {
            tracing::warn!(error = %kosodate_domain::error_chain(&error), "an organisation's name could not be read");
            code.to_string()
        }
    }
}

/// A count as a staff page writes it, with its unit: under ten is 「10件未満」, never the number.
pub fn reported_count(count: kosodate_households::ReportedCount, unit: &str) -> String {
    match count {
        kosodate_households::ReportedCount::Exactly(count) => format!("{count}{unit}"),
        kosodate_households::ReportedCount::FewerThanTen => "10件未満".to_owned(),
    }
}

/// Who may own what a staff member enters: their municipality, or for the prefecture and the
/// operators the prefecture and every municipality.
pub fn owners(role: &StaffRole, places: &crate::pages::places::Places) -> Vec<(String, String)> {
    match role {
        StaffRole::Municipal(code) => vec![(code.to_string(), places.name_of(&code.to_string()))],
        StaffRole::Prefecture | StaffRole::Administrator => {
            let prefecture = PREFECTURE_CODE.to_string();
            std::iter::once((prefecture.clone(), places.name_of(&prefecture)))
                .chain(
                    places
                        .regions
                        .iter()
                        .flat_map(|region| region.places.iter())
                        .map(|place| (place.code.clone(), place.name.clone())),
                )
                .collect()
        }
    }
}
