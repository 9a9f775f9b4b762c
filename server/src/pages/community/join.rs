//! `/community/join`: taking part in the community. The community consent (its own purpose and
//! text, from the households' consent texts) and a display name, never the sign-in identity; and
//! whether to be told of answers. Nothing is stored until both are given.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use kosodate_community::DisplayName;
use kosodate_households::{ConsentPurpose, consent_texts};

use super::{CommunityTabs, FieldMessages};
use crate::community::Refused;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::me::see_other;
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "community_join.html")]
struct JoinPage {
    tabs: CommunityTabs,
    csrf_token: String,
    consent: Option<ConsentView>,
    display_name: String,
    notify_answers: bool,
    errors: FieldMessages,
}

struct ConsentView {
    title: String,
    text: String,
    version: i32,
}

pub async fn page(State(state): State<AppState>, parent: SignedInParent) -> Result<Response, ApiError> {
    let standing = crate::community::standing(&state, parent.account).await?;
    if standing.posting_member().is_some() {
        return Ok(see_other("/community/mine"));
    }
    let form = JoinForm {
        display_name: standing
            .member
            .map(|member| member.display_name)
            .unwrap_or_default(),
        notify_answers: Some("yes".into()),
        ..JoinForm::default()
    };
    render(&state, &parent, &form, FieldMessages::default(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    parent: &SignedInParent,
    form: &JoinForm,
    errors: FieldMessages,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let standing = crate::community::standing(state, parent.account).await?;
    let consent = match standing.consented {
        true => None,
        false => consent_texts::current(ConsentPurpose::Community).map(|text| ConsentView {
            title: text.title_ja.clone(),
            text: text.text_ja.clone(),
            version: text.version,
        }),
    };
    let page = JoinPage {
        tabs: CommunityTabs {
            current: "/community/join",
        },
        csrf_token: parent.csrf_token().to_owned(),
        consent,
        display_name: form.display_name.clone(),
        notify_answers: form.notify_answers.is_some(),
        errors,
    };
    Ok(crate::pages::html(status, &page))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    notify_answers: Option<String>,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    consent_version: Option<i32>,
}

/// Records the consent (when ticked) and joins under the display name.
pub async fn join(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<JoinForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let standing = crate::community::standing(&state, parent.account).await?;
    let name = DisplayName::parse(&fields.display_name);
    let mut errors = match &name {
        Ok(_) => FieldMessages::default(),
        Err(invalid) => FieldMessages::of(invalid),
    };
    if !standing.consented && fields.consent.is_none() {
        errors.0.push((
            "consent".into(),
            "参加するには「子育てコミュニティへの参加」への同意が必要です".into(),
        ));
    }
    let name = match name {
        Ok(name) if errors.is_empty() => name,
        _ => return render(&state, &parent, &fields, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if !standing.consented {
        let version = fields.consent_version.unwrap_or_default();
        crate::parent::give_consent(
            &state,
            parent.account,
            &context,
            ConsentPurpose::Community,
            version,
        )
        .await?;
    }
    let notify = fields.notify_answers.is_some();
    match crate::community::join(&state, parent.account, &context, &name, notify).await {
        Ok(_) => Ok(see_other("/community/mine?joined=1")),
        Err(Refused::Community(kosodate_community::CommunityError::AlreadyMember)) => {
            Ok(see_other("/community/mine"))
        }
        Err(Refused::Community(kosodate_community::CommunityError::DisplayNameTaken)) => {
            let taken = FieldMessages(vec![(
                "display_name".into(),
                "この表示名は他のメンバーが使っています。別の表示名にしてください".into(),
            )]);
            render(&state, &parent, &fields, taken, StatusCode::CONFLICT).await
        }
        Err(refused) => Err(refused.into()),
    }
}
