//! The HTTP API under `/api/v1`, and its OpenAPI 3.1 document generated from the same handlers
//! (utoipa-axum registers each route and its documentation together, so they cannot drift).

mod community;
mod document;
mod events;
mod insights;
mod me;
mod municipalities;
mod notices;
mod oauth;
mod open_data;
mod partners;
mod places;
mod program_types;
mod programs;
mod search;
mod staff;
mod transfer;

use axum::Json;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kosodate 子育て支援制度レジストリ API",
        description = "青森県と県内40市町村の子育て支援制度。読み取りは公開、変更は職員のトークンが必要です。エラーは RFC 9457 problem+json で返します。"
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem, crate::error::ProblemEntry)),
    tags(
        (name = "municipalities", description = "青森県と県内市町村"),
        (name = "programs", description = "子育て支援制度"),
        (name = "places", description = "子育て支援センター・児童館・公園など、子どもと行ける場所"),
        (name = "events", description = "離乳食教室・両親学級・お話し会など、子ども向けのイベント（くり返しの日程つき）"),
        (name = "open-data", description = "オープンデータ: 施設とイベントの schema.org JSON-LD と iCalendar（既定のライセンスは CC BY 4.0）"),
        (name = "session", description = "ログイン状態とCSRFトークン"),
        (name = "me", description = "ログインした保護者の世帯（本人のデータのみ）"),
        (name = "community", description = "子育てコミュニティ: 質問と回答（投稿には参加の同意と表示名が必要。個人情報は投稿前に確認）"),
        (name = "staff", description = "職員: 件数（10件未満は「<10」）、監査ログ、窓口代理登録"),
        (name = "partners", description = "提携アプリ: 運用者による登録・取り消し(OAuth 2.0 クライアントクレデンシャル、POST /oauth/token)と、アプリによる変更通知(Standard Webhooks 署名付き)の購読"),
        (name = "insights", description = "政策分析（県と運営者の職員）: 検索と質問の件数、よく使われた語と増えた語、足りない支援の手がかり。10件未満は null（CSVでは「10未満」）。オープンデータはノイズ付きで公開")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "staff_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // Partner apps: an opaque token from POST /oauth/token (client credentials), with scopes.
        components.add_security_scheme(
            "partner_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // One cookie for both kinds of session (`__Host-kosodate_session` when served over
        // https); which kind it is decides what it may do. State-changing requests of a session
        // also send its `X-CSRF-Token` (from `GET /api/v1/session`).
        for (name, who) in [("staff_session", "staff"), ("parent_session", "a parent")] {
            let cookie = ApiKeyValue::with_description(
                crate::auth::session::COOKIE_NAME,
                &format!("the session of {who} signed in with OpenID Connect at /auth/login/{{provider}}"),
            );
            components.add_security_scheme(name, SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
        }
    }
}

/// The API routes, with `/api/v1/openapi.json` serving their generated description.
pub fn router() -> axum::Router<AppState> {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .routes(routes!(municipalities::list_municipalities))
                .routes(routes!(municipalities::get_municipality))
                .routes(routes!(programs::list_programs, programs::create_program))
                .routes(routes!(search::search_programs))
                .routes(routes!(search::record_click))
                .routes(routes!(programs::get_program, programs::update_program))
                .routes(routes!(programs::publish_program))
                .routes(routes!(
                    programs::program_review_request,
                    programs::request_program_review
                ))
                .routes(routes!(programs::archive_program))
                .routes(routes!(programs::program_history))
                .routes(routes!(program_types::list_program_types))
                .routes(routes!(program_types::missing_common_types))
                .routes(routes!(program_types::get_program_type))
                .routes(routes!(transfer::import_programs))
                .routes(routes!(transfer::export_programs))
                .routes(routes!(crate::auth::routes::session_info))
                .routes(routes!(
                    me::get_household,
                    me::put_household,
                    me::delete_household
                ))
                .routes(routes!(me::export))
                .routes(routes!(me::get_consents, me::give_consent))
                .routes(routes!(me::withdraw_consent))
                .routes(routes!(me::programs))
                .routes(routes!(me::channels, me::add_channel))
                .routes(routes!(me::verify_email))
                .routes(routes!(me::change_channel, me::remove_channel))
                .routes(routes!(community::join))
                .routes(routes!(community::me, community::leave))
                .routes(routes!(community::request_expert))
                .routes(routes!(community::list_questions, community::ask))
                .routes(routes!(community::get_question))
                .routes(routes!(community::mark_helpful, community::unmark_helpful))
                .routes(routes!(community::accept))
                .routes(routes!(community::report))
                .routes(routes!(community::moderation_queue, community::moderate))
                .routes(routes!(community::expert_requests))
                .routes(routes!(community::decide_expert))
                .routes(routes!(community::similar))
                .routes(routes!(community::answer))
                .routes(routes!(staff::counts))
                .routes(routes!(search::search_trends))
                .routes(routes!(staff::audit_log))
                .routes(routes!(staff::register_at_counter))
                .routes(routes!(staff::delete_at_counter))
                .routes(routes!(notices::web_push_key))
                .routes(routes!(notices::notice_counts))
                .routes(routes!(notices::dead_letters))
                .routes(routes!(notices::redrive))
                .routes(routes!(insights::volumes))
                .routes(routes!(insights::terms))
                .routes(routes!(insights::gaps))
                .routes(routes!(insights::open_data))
                .routes(routes!(places::list_places, places::create_place))
                .routes(routes!(places::get_place, places::update_place))
                .routes(routes!(places::publish_place))
                .routes(routes!(
                    places::place_review_request,
                    places::request_place_review
                ))
                .routes(routes!(places::archive_place))
                .routes(routes!(places::place_history))
                .routes(routes!(places::place_templates))
                .routes(routes!(places::import_places))
                .routes(routes!(events::import_events))
                .routes(routes!(events::event_templates))
                .routes(routes!(events::list_events, events::create_event))
                .routes(routes!(events::get_event, events::update_event))
                .routes(routes!(events::event_occurrences))
                .routes(routes!(events::publish_event))
                .routes(routes!(
                    events::event_review_request,
                    events::request_event_review
                ))
                .routes(routes!(events::archive_event))
                .routes(routes!(events::event_history))
                .routes(routes!(open_data::places_json_ld))
                .routes(routes!(open_data::events_json_ld))
                .routes(routes!(open_data::events_ics))
                .routes(routes!(partners::list_partners, partners::register_partner))
                .routes(routes!(partners::revoke_partner))
                .routes(routes!(partners::rotate_secret))
                .routes(routes!(partners::partner_deliveries))
                .routes(routes!(partners::redrive_delivery))
                .routes(routes!(partners::list_webhooks, partners::subscribe_webhook))
                .routes(routes!(partners::delete_webhook)),
        )
        .split_for_parts();
    document::describe_itself(&mut openapi);
    // After the routes are in: it completes each of them.
    document::ProblemResponses.modify(&mut openapi);
    router
        .route("/api/v1/openapi.json", get(move || async move { Json(openapi) }))
        .merge(oauth::router())
}
