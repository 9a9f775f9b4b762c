//! `/me/consent`: the first step after signing in. Each purpose says what is processed, why,
//! which version of the text and how to withdraw; agreeing to the matching purpose is what lets
//! the household be entered at all. Notices through a channel are agreed to where the channel is
//! set up (`channels`), next to what they send.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_domain::Vocabulary;
use kosodate_households::{ConsentPurpose, consent_texts};

use super::{Progress, see_other};
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::parent;
use crate::state::AppState;

/// The purposes agreed to on this page, in the order shown.
const PURPOSES: [ConsentPurpose; 2] = [ConsentPurpose::Matching, ConsentPurpose::Statistics];

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    csrf_token: String,
    purposes: Vec<PurposeView>,
    error: Option<&'static str>,
    first_time: bool,
}

struct PurposeView {
    id: &'static str,
    title: String,
    text: String,
    version: i32,
    effective_from: String,
    required: bool,
    active: bool,
}

pub async fn page(State(state): State<AppState>, parent: SignedInParent) -> Result<Response, ApiError> {
    render(&state, &parent, None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    parent: &SignedInParent,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let consents = parent::consents(state, parent.account).await?;
    let first_time = !matches!(super::progress(state, parent).await?, Progress::Ready(_));
    let purposes = PURPOSES
        .iter()
        .filter_map(|purpose| {
            let text = consent_texts::current(*purpose)?;
            Some(PurposeView {
                id: purpose.id(),
                title: text.title_ja.clone(),
                text: text.text_ja.clone(),
                version: text.version,
                effective_from: kosodate_domain::japan::format_date_with_weekday(text.effective_from),
                required: *purpose == ConsentPurpose::Matching,
                active: consents.is_active(*purpose),
            })
        })
        .collect();
    let page = ConsentPage {
        csrf_token: parent.csrf_token().to_owned(),
        purposes,
        error,
        first_time,
    };
    Ok(crate::pages::html(status, &page))
}

/// Records each purpose ticked, to the version of the text shown (`version_{purpose}`).
pub async fn give(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let ticked: Vec<ConsentPurpose> = fields
        .iter()
        .filter(|(name, _)| name == "purpose")
        .filter_map(|(_, value)| ConsentPurpose::parse(value))
        .filter(|purpose| PURPOSES.contains(purpose))
        .collect();
    let already = parent::consents(&state, parent.account).await?;
    if !ticked.contains(&ConsentPurpose::Matching) && !already.is_active(ConsentPurpose::Matching) {
        let error = "続けるには「対象となる制度の確認」への同意が必要です。同意しない場合、登録は行われず、何も保存されません。";
        return render(&state, &parent, Some(error), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    for purpose in ticked {
        let version_field = format!("version_{}", purpose.id());
        let version = fields
            .iter()
            .find(|(name, _)| *name == version_field)
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or_default();
        parent::give_consent(&state, parent.account, &context, purpose, version).await?;
    }
    Ok(match super::progress(&state, &parent).await? {
        Progress::Ready(_) => see_other("/me/data"),
        _ => see_other("/me/household"),
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct WithdrawForm {
    purpose: String,
}

/// Ends a consent at once; withdrawing matching deletes what matching derived.
pub async fn withdraw(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<WithdrawForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let purpose = ConsentPurpose::parse(&fields.purpose).ok_or_else(|| {
        ApiError::invalid_query("purpose", "同意の目的が正しくありません", "unknown purpose")
    })?;
    parent::withdraw_consent(&state, parent.account, &context, purpose).await?;
    Ok(see_other("/me/data#consents"))
}
