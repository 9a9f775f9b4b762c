//! `/staff/partners`, for the operators: the registered partner apps, registering one (its client
//! secret and signing secret shown on the answer page only, once), revoking one, and replacing a
//! secret. Every step goes through `crate::partners`, the same checks and audit entries as the
//! API's `/api/v1/admin/partners`.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kosodate_domain::{Vocabulary, japan};
use kosodate_partners::{PartnerInput, Scope};
use strum::VariantArray;
use uuid::Uuid;

use super::StaffChrome;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::partners::{self, PartnerSecrets, PartnerView, SecretKind};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/partners.html")]
struct PartnersPage {
    chrome: StaffChrome,
    partners: Vec<PartnerRow>,
    scopes: Vec<ScopeChoice>,
    /// Secrets to show once, with the app they belong to.
    secrets: Option<PartnerSecrets>,
    errors: Vec<String>,
    form: FormValues,
}

struct PartnerRow {
    id: Uuid,
    name: String,
    client_id: String,
    scopes: String,
    rate: u32,
    created: String,
    revoked: Option<String>,
}

struct ScopeChoice {
    id: &'static str,
    label: &'static str,
    checked: bool,
}

/// What was typed, to show again when the registration is refused.
#[derive(Default)]
struct FormValues {
    name: String,
    contact_email: String,
    redirect_uris: String,
    notice_webhook_url: String,
    rate: String,
}

fn local_time(at: chrono::DateTime<chrono::Utc>) -> String {
    japan::local(at).format("%Y-%m-%d %H:%M").to_string()
}

fn row(partner: PartnerView) -> PartnerRow {
    PartnerRow {
        id: partner.id,
        name: partner.name,
        client_id: partner.client_id,
        scopes: partner.scopes,
        rate: partner.rate_limit_per_minute,
        created: local_time(partner.created_at),
        revoked: partner.revoked_at.map(local_time),
    }
}

async fn render(
    state: &AppState,
    staff: &SignedInStaff,
    context: &RequestContext,
    status: StatusCode,
    outcome: (Option<PartnerSecrets>, Vec<String>, FormValues, Vec<&str>),
) -> Result<Response, ApiError> {
    let (secrets, errors, form, checked) = outcome;
    let listed = partners::list(state, &staff.identity, context).await?;
    let page = PartnersPage {
        chrome: StaffChrome::load(state, staff, "/staff/partners").await,
        partners: listed.into_iter().map(row).collect(),
        scopes: Scope::VARIANTS
            .iter()
            .map(|scope| ScopeChoice {
                id: scope.id(),
                label: scope.label_ja(),
                checked: checked.contains(&scope.id()),
            })
            .collect(),
        secrets,
        errors,
        form,
    };
    Ok(crate::pages::html(status, &page))
}

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    context: RequestContext,
) -> Result<Response, ApiError> {
    let form = FormValues {
        rate: "600".into(),
        ..FormValues::default()
    };
    render(
        &state,
        &staff,
        &context,
        StatusCode::OK,
        (None, Vec::new(), form, Vec::new()),
    )
    .await
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// Registers from the form; the answer page shows the secrets once.
pub async fn register(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let fields = &form.fields;
    let scopes: Vec<&str> = fields
        .iter()
        .filter(|(name, _)| name == "scopes")
        .map(|(_, value)| value.as_str())
        .collect();
    let values = FormValues {
        name: field(fields, "name").to_owned(),
        contact_email: field(fields, "contact_email").to_owned(),
        redirect_uris: field(fields, "redirect_uris").to_owned(),
        notice_webhook_url: field(fields, "notice_webhook_url").to_owned(),
        rate: field(fields, "rate_limit_per_minute").to_owned(),
    };
    let input = PartnerInput {
        name: values.name.clone(),
        contact_email: values.contact_email.clone(),
        scopes: scopes.join(" "),
        redirect_uris: values
            .redirect_uris
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
        notice_webhook_url: Some(values.notice_webhook_url.clone()),
        rate_limit_per_minute: values.rate.trim().parse().unwrap_or(0),
    };
    if let Err(invalid) = input.check() {
        let errors = invalid
            .0
            .iter()
            .map(|(_, message)| (*message).to_owned())
            .collect();
        let outcome = (None, errors, values, scopes);
        return render(
            &state,
            &form.staff,
            &context,
            StatusCode::UNPROCESSABLE_ENTITY,
            outcome,
        )
        .await;
    }
    let secrets = partners::register(&state, &form.staff.identity, &context, &input).await?;
    let outcome = (Some(secrets), Vec::new(), FormValues::default(), Vec::new());
    render(&state, &form.staff, &context, StatusCode::OK, outcome).await
}

pub async fn revoke(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Partner>,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    partners::revoke(&state, &form.staff.identity, &context, id).await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/staff/partners")]).into_response())
}

/// Replaces the secret the button names; the answer page shows the new one once.
pub async fn rotate(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(id): RecordId<path_ids::Partner>,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let kind = match field(&form.fields, "secret") {
        "signing_secret" => SecretKind::SigningSecret,
        _ => SecretKind::ClientSecret,
    };
    let secrets = partners::rotate(&state, &form.staff.identity, &context, id, kind).await?;
    let outcome = (Some(secrets), Vec::new(), FormValues::default(), Vec::new());
    render(&state, &form.staff, &context, StatusCode::OK, outcome).await
}
