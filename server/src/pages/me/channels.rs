//! `/me/channels`: how the household is told, the third step. Each channel is agreed to next to
//! what it sends (email with a verification link, LINE for parents signed in with LINE, Web Push
//! where the browser has it), then quiet hours and the daily digest, each explained; the page
//! ends with what will be sent and when. The verification link of an email lands here too.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use kosodate_domain::{EmailAddress, LineUserId, Vocabulary, japan};
use kosodate_households::{
    ChannelRecord, ConsentPurpose, HouseholdId, Preferences, PushKeys, PushSubscription, consent_texts,
    purpose_of_channel,
};
use kosodate_matcher::Eligibility;
use kosodate_notifier::ChannelKind;
use serde::Deserialize;

use super::{Tabs, household_or_step, see_other};
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::parent;
use crate::state::AppState;
use kosodate_domain::japan::format_date_with_weekday;

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    tabs: Tabs,
    welcome: bool,
    sent_to: Option<String>,
    error: Option<(&'static str, String)>,
    csrf_token: String,
    channels: Vec<ChannelView>,
    email_text: String,
    line_text: String,
    push_text: String,
    signed_in_with_line: bool,
    has_line: bool,
    vapid_key: String,
    push_script: String,
    preferences: Preferences,
    hours: Vec<String>,
    schedule: Vec<ScheduledNotice>,
}

impl ChannelsPage {
    /// The message for a form field, if the last submission was refused there.
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }
}

struct ChannelView {
    id: String,
    kind: &'static str,
    address: String,
    state: String,
    opted_in: bool,
}

struct ScheduledNotice {
    date: String,
    what: String,
}

#[derive(Debug, Deserialize)]
pub struct ChannelsQuery {
    welcome: Option<String>,
    sent: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    parent: SignedInParent,
    ApiQuery(query): ApiQuery<ChannelsQuery>,
) -> Result<Response, ApiError> {
    let id = match household_or_step(&state, &parent).await? {
        Ok(id) => id,
        Err(step) => return Ok(step),
    };
    let view = View {
        welcome: query.welcome.is_some(),
        sent_to: query.sent,
        error: None,
    };
    render(&state, &parent, id, view, StatusCode::OK).await
}

struct View {
    welcome: bool,
    sent_to: Option<String>,
    error: Option<(&'static str, String)>,
}

async fn render(
    state: &AppState,
    parent: &SignedInParent,
    id: HouseholdId,
    view: View,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let channels = state.households.channels(id).await?;
    let apps = crate::parent::linked_apps(state, id).await?;
    let preferences = state.households.record(id).await?.preferences;
    let text =
        |purpose| consent_texts::current(purpose).map_or_else(String::new, |text| text.text_ja.clone());
    let page = ChannelsPage {
        tabs: Tabs {
            current: "/me/channels",
        },
        welcome: view.welcome,
        sent_to: view.sent_to,
        error: view.error,
        csrf_token: parent.csrf_token().to_owned(),
        has_line: channels.iter().any(|channel| channel.kind == ChannelKind::Line),
        channels: channels
            .iter()
            .map(|channel| channel_view(channel, &apps))
            .collect(),
        email_text: text(ConsentPurpose::NoticeEmail),
        line_text: text(ConsentPurpose::NoticeLine),
        push_text: text(ConsentPurpose::NoticeWebPush),
        signed_in_with_line: state.auth.is_line(&parent.session.provider),
        vapid_key: state.notices.vapid_public_key.clone(),
        push_script: crate::pages::assets::push_script_href(),
        hours: (0..24).map(|hour| format!("{hour:02}:00")).collect(),
        schedule: schedule(state, id, &channels, &preferences).await?,
        preferences,
    };
    Ok(crate::pages::html(status, &page))
}

fn channel_view(channel: &ChannelRecord, apps: &[crate::parent::LinkedApp]) -> ChannelView {
    let address = match channel.kind {
        ChannelKind::Email => channel.address.clone(),
        ChannelKind::Line => "ログインに使ったLINEアカウント".to_owned(),
        ChannelKind::WebPush => "このブラウザ（または登録したブラウザ）".to_owned(),
        // A link's channel has the link's id; "削除する" ends the link.
        ChannelKind::PartnerApp => {
            let app = apps.iter().find(|app| app.link_id == channel.id);
            let name = app.map_or("連携したアプリ", |app| app.name.as_str());
            format!("{name}（削除すると連携を解除します）")
        }
    };
    let state = match (&channel.disabled_reason, channel.verified, channel.opted_in) {
        (Some(_), _, _) => "届かなくなったため停止しました。登録し直してください".to_owned(),
        (None, false, _) => "確認待ち：届いたメールのリンクを開いてください".to_owned(),
        (None, true, true) => "お知らせを送ります".to_owned(),
        (None, true, false) => "停止中".to_owned(),
    };
    ChannelView {
        id: channel.id.clone(),
        kind: channel.kind.label_ja(),
        address,
        state,
        opted_in: channel.opted_in,
    }
}

/// What will be sent and when: each reminder ahead, on its day, after the quiet hours.
async fn schedule(
    state: &AppState,
    id: HouseholdId,
    channels: &[ChannelRecord],
    preferences: &Preferences,
) -> Result<Vec<ScheduledNotice>, ApiError> {
    let today = japan::date_of(chrono::Utc::now());
    let Some(findings) = state.matching.findings_for(id, today).await? else {
        return Ok(Vec::new());
    };
    let ways: Vec<&str> = channels
        .iter()
        .filter(|channel| channel.verified && channel.opted_in && channel.disabled_reason.is_none())
        .map(|channel| channel.kind.label_ja())
        .collect();
    let ways = match ways.is_empty() {
        true => "（受け取り方法を設定すると送ります）".to_owned(),
        false => format!("{}で", ways.join("・")),
    };
    let policy = state.matching.policy();
    let mut due: Vec<(NaiveDate, String)> = findings
        .iter()
        .filter(|finding| finding.found.eligibility == Eligibility::Eligible)
        .flat_map(|finding| {
            kosodate_matching::reminder_schedule(policy, today, &finding.found)
                .into_iter()
                .map(|(date, kind)| {
                    (
                        date,
                        format!("「{}」{}", finding.program.content.name, kind.label_ja()),
                    )
                })
        })
        .collect();
    due.sort();
    let hour = &preferences.quiet_until;
    Ok(due
        .into_iter()
        .take(20)
        .map(|(date, what)| ScheduledNotice {
            date: format!("{}　{hour}以降", format_date_with_weekday(date)),
            what: format!("{what}：{ways}お知らせ"),
        })
        .collect())
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    email: String,
    #[serde(default)]
    consent: Option<String>,
}

/// Adds an email address after consent to email notices, and mails the verification link.
pub async fn add_email(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<EmailForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let id = parent::require_household(&state, parent.account).await?;
    let refuse = |field, message: &str| View {
        welcome: false,
        sent_to: None,
        error: Some((field, message.to_owned())),
    };
    let Ok(address) = EmailAddress::parse(fields.email.trim()) else {
        let view = refuse(
            "email",
            "メールアドレスの形式が正しくありません。例：hanako@example.jp",
        );
        return render(&state, &parent, id, view, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    if let Some(response) =
        consent_or_refuse(&state, &parent, id, &context, ChannelKind::Email, &fields.consent).await?
    {
        return Ok(response);
    }
    parent::add_email(&state, id, &address).await?;
    Ok(see_other("/me/channels?sent=1"))
}

/// Gives consent to the channel's purpose when ticked; without it, the page again with why.
async fn consent_or_refuse(
    state: &AppState,
    parent: &SignedInParent,
    id: HouseholdId,
    context: &RequestContext,
    kind: ChannelKind,
    ticked: &Option<String>,
) -> Result<Option<Response>, ApiError> {
    let Some(purpose) = purpose_of_channel(kind) else {
        return Ok(None);
    };
    let consents = parent::consents(state, parent.account).await?;
    if consents.is_active(purpose) {
        return Ok(None);
    }
    if ticked.is_none() {
        let view = View {
            welcome: false,
            sent_to: None,
            error: Some((
                field_of(kind),
                format!(
                    "{}を受け取るには、同意にチェックを入れてください",
                    purpose.label_ja()
                ),
            )),
        };
        return render(state, parent, id, view, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .map(Some);
    }
    let version = consent_texts::current(purpose).map_or(0, |text| text.version);
    parent::give_consent(state, parent.account, context, purpose, version).await?;
    Ok(None)
}

fn field_of(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Email => "email-consent",
        ChannelKind::Line => "line-consent",
        ChannelKind::WebPush => "push-consent",
        ChannelKind::PartnerApp => "partner-consent",
    }
}

#[derive(Debug, Deserialize)]
pub struct ConsentOnlyForm {
    #[serde(default)]
    consent: Option<String>,
}

/// Links the LINE account the parent signed in with.
pub async fn add_line(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<ConsentOnlyForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let id = parent::require_household(&state, parent.account).await?;
    let subject = match state.auth.is_line(&parent.session.provider) {
        true => state.households.account_subject(parent.account).await?,
        false => None,
    };
    let Some(user) = subject
        .as_deref()
        .and_then(|subject| LineUserId::parse(subject).ok())
    else {
        return Err(ApiError::forbidden(
            "LINEでログインしているときに登録できます",
            "sign in with LINE to link LINE",
        ));
    };
    if let Some(response) =
        consent_or_refuse(&state, &parent, id, &context, ChannelKind::Line, &fields.consent).await?
    {
        return Ok(response);
    }
    // Added from this page with its consent ticked: the parent asked for notices there.
    let channel = state.households.add_line(id, &user).await?;
    state.households.set_channel_opt_in(id, &channel, true).await?;
    Ok(see_other("/me/channels"))
}

#[derive(Debug, Deserialize)]
pub struct PushForm {
    endpoint: String,
    p256dh: String,
    auth: String,
    #[serde(default)]
    consent: Option<String>,
}

/// Stores the browser's push subscription, sent by the page's script.
pub async fn add_web_push(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<PushForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let id = parent::require_household(&state, parent.account).await?;
    let endpoint = url::Url::parse(&fields.endpoint)
        .ok()
        .filter(|endpoint| endpoint.scheme() == "https" || state.notices.allow_insecure_push_endpoints)
        .ok_or_else(|| {
            ApiError::invalid_query(
                "endpoint",
                "プッシュ通知の送信先が正しくありません。ページを読み込み直してもう一度お試しください",
                "a push endpoint is an https URL",
            )
        })?;
    if let Some(response) = consent_or_refuse(
        &state,
        &parent,
        id,
        &context,
        ChannelKind::WebPush,
        &fields.consent,
    )
    .await?
    {
        return Ok(response);
    }
    let subscription = PushSubscription {
        endpoint,
        keys: PushKeys {
            p256dh: fields.p256dh,
            auth: fields.auth,
        },
    };
    let channel = state.households.add_web_push(id, &subscription).await?;
    state.households.set_channel_opt_in(id, &channel, true).await?;
    Ok(see_other("/me/channels"))
}

#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    opted_in: String,
}

pub async fn switch(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    form: ParentForm<SwitchForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let id = parent::require_household(&state, parent.account).await?;
    state
        .households
        .set_channel_opt_in(id, &channel, fields.opted_in == "true")
        .await?;
    Ok(see_other("/me/channels"))
}

pub async fn remove(
    State(state): State<AppState>,
    Path(channel): Path<String>,
    form: ParentForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = parent::require_household(&state, form.parent.account).await?;
    state.households.remove_channel(id, &channel).await?;
    // My data unlinks apps too, and its parent goes back there; nowhere else is asked for.
    match crate::pages::household_form::field(&form.fields, "back") {
        "/me/data" => Ok(see_other("/me/data")),
        _ => Ok(see_other("/me/channels")),
    }
}

#[derive(Debug, Deserialize)]
pub struct PreferencesForm {
    quiet_from: String,
    quiet_until: String,
    #[serde(default)]
    daily_digest: Option<String>,
    #[serde(default)]
    weekly_events: Option<String>,
}

/// Quiet hours, the daily digest and the weekly events, kept with the household.
pub async fn save_preferences(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<PreferencesForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let id = parent::require_household(&state, parent.account).await?;
    let mut input = state.households.record(id).await?.to_input();
    input.preferences = Some(Preferences {
        quiet_from: fields.quiet_from,
        quiet_until: fields.quiet_until,
        daily_digest: fields.daily_digest.is_some(),
        weekly_events: fields.weekly_events.is_some(),
    });
    parent::save_household(&state, parent.account, &context, input).await?;
    Ok(see_other("/me/channels#preferences"))
}

#[derive(Template)]
#[template(path = "verified.html")]
struct VerifiedPage;

#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    token: String,
}

/// The link in the verification email: the token is the proof, no sign-in needed.
pub async fn verify(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<VerifyQuery>,
) -> Result<Response, ApiError> {
    state.households.verify_email(&query.token).await?;
    Ok(crate::pages::html(StatusCode::OK, &VerifiedPage))
}
