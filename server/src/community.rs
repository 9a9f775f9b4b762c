//! The parents' community as the JSON API (`api/community.rs`) and the pages
//! (`pages/community/`) both use it, said once: a parent's standing (the community consent, the
//! member record), posting with its audit entry, the index nudged and the asker told of an answer
//! (`planner::CommunityNotices`), the programs that relate to a question and where to ask in
//! person (both from this process's program index, never logged as searches), staff moderation
//! with its audit entry, and a member leaving with the parent's choice. The community crate knows
//! accounts by id only; consent, programs and notices are composed here.

mod index;

use chrono::Utc;
use futures::FutureExt;
use kosodate_community::{
    AnswerInput, AnswerPosted, CommunityError, Decision, Departure, DisplayName, Masking, Member,
    ModerationAction, PostRef, QuestionInput, Region,
};
use kosodate_domain::{MunicipalityCode, Vocabulary, error_chain, japan};
use kosodate_households::{AccountId, ConsentPurpose};
use kosodate_registry::audit::Outcome;
use kosodate_registry::{Category, StaffAction, StaffIdentity, Visibility};
use kosodate_search::{ProgramCard, SearchQuery, SearchRequest};
use strum::VariantArray;
use uuid::Uuid;

pub use index::QuestionSearch;

use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::state::AppState;

/// The programs shown beside a question.
const RELATED_PROGRAMS: usize = 3;
/// The places to ask in person shown beside a question.
const PLACES_TO_ASK: usize = 2;
/// The program type of the municipality's one door for pregnancy and child-rearing.
const KODOMO_KATEI_CENTER: &str = "kodomo_katei_center";

/// The community's id of a parent's account: the same UUID.
pub fn member_key(account: AccountId) -> Uuid {
    account.as_uuid()
}

/// Where a signed-in parent stands in the community.
#[derive(Debug, Clone)]
pub struct Standing {
    /// The community consent is active.
    pub consented: bool,
    pub member: Option<Member>,
}

impl Standing {
    /// A member who may post: consented and joined.
    pub fn posting_member(&self) -> Option<&Member> {
        self.member.as_ref().filter(|_| self.consented)
    }
}

pub async fn standing(state: &AppState, account: AccountId) -> Result<Standing, ApiError> {
    let consents = crate::parent::consents(state, account).await?;
    Ok(Standing {
        consented: consents.is_active(ConsentPurpose::Community),
        member: state.community.member(member_key(account)).await?,
    })
}

/// The member behind a request that posts or votes: consent first, then membership.
pub async fn require_member(state: &AppState, account: AccountId) -> Result<Member, ApiError> {
    let standing = standing(state, account).await?;
    if !standing.consented {
        return Err(ApiError::community_consent_required());
    }
    standing
        .member
        .ok_or_else(|| kosodate_community::CommunityError::NotMember.into())
}

async fn record(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    action: &'static str,
) -> Result<(), ApiError> {
    let household = crate::parent::household(state, account).await?;
    crate::audit::personal_data(
        state,
        crate::parent::actor(household),
        context,
        action,
        None,
        None,
    )
    .await
}

/// Joins under a display name; the community consent must be active (given on the same page).
pub async fn join(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    name: &DisplayName,
    notify_answers: bool,
) -> Result<Member, Refused> {
    if !standing(state, account).await?.consented {
        return Err(ApiError::community_consent_required().into());
    }
    let member = state
        .community
        .join(member_key(account), name, notify_answers, Utc::now())
        .await?;
    record(state, account, context, "community.join").await?;
    Ok(member)
}

/// Why a post was refused: what the community said (the page shows personal data found and
/// wrong fields in place), or anything else.
#[derive(Debug)]
pub enum Refused {
    Community(CommunityError),
    Other(ApiError),
}

impl From<CommunityError> for Refused {
    fn from(error: CommunityError) -> Self {
        Self::Community(error)
    }
}

impl From<ApiError> for Refused {
    fn from(error: ApiError) -> Self {
        Self::Other(error)
    }
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Community(error) => error.into(),
            Refused::Other(error) => error,
        }
    }
}

/// Asks a question; the related programs' count is kept for the evidence pages.
pub async fn ask(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    input: &QuestionInput,
    masking: Masking,
) -> Result<Uuid, Refused> {
    require_member(state, account).await?;
    let input = with_region(state, input).await?;
    let id = state
        .community
        .ask(member_key(account), &input, masking, Utc::now())
        .await?;
    record(state, account, context, "community.question.create").await?;
    state.question_search.nudge();
    let municipality = input
        .municipality
        .as_deref()
        .and_then(|code| MunicipalityCode::parse(code).ok());
    let related = related_programs(state, &input.title, &input.body, municipality).await;
    let count = u32::try_from(related.len()).unwrap_or(u32::MAX);
    if let Err(error) = state.community.set_related_program_count(id, count).await {
        tracing::warn!(error = %error_chain(&error), "a question's related program count was not kept");
    }
    Ok(id)
}

/// A question tagged with a municipality is tagged with its region too, so that it is found
/// under either.
async fn with_region(state: &AppState, input: &QuestionInput) -> Result<QuestionInput, ApiError> {
    let mut tagged = input.clone();
    let code = input
        .municipality
        .as_deref()
        .and_then(|code| MunicipalityCode::parse(code.trim()).ok());
    if let (Some(code), None) = (code, input.region) {
        let region = match state.registry.municipality(code).await {
            Ok(municipality) => municipality.region,
            Err(kosodate_registry::RegistryError::MunicipalityNotFound(_)) => None,
            Err(error) => return Err(error.into()),
        };
        tagged.region = region.and_then(|name| {
            Region::VARIANTS
                .iter()
                .copied()
                .find(|known| known.label_ja() == name)
        });
    }
    Ok(tagged)
}

/// Answers a question and tells its asker, once per channel, through the channels consented for.
pub async fn answer(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    question: Uuid,
    input: &AnswerInput,
    masking: Masking,
) -> Result<AnswerPosted, Refused> {
    require_member(state, account).await?;
    let posted = state
        .community
        .answer(member_key(account), question, input, masking, Utc::now())
        .await?;
    record(state, account, context, "community.answer.create").await?;
    state.question_search.nudge();
    if let Err(error) = notify_asker(&state.community_notices, &state.public_url, &posted).await {
        tracing::warn!(
            error = format!("{error:#}"),
            "an answer notice was not planned, the sweep will"
        );
    }
    Ok(posted)
}

/// How long an answer's notice may wait for the request that posted it before the sweep plans it.
const NOTICE_GRACE: chrono::TimeDelta = chrono::TimeDelta::minutes(1);
/// Answers planned per sweep.
const NOTICE_SWEEP_BATCH: u64 = 200;
/// How often this process sweeps.
const NOTICE_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Plans every answer's notice still unplanned a minute after the answer, as the request path
/// would have; returns how many notices were written. Safe in several processes at once: the
/// outbox's unique (event, channel) key makes a second plan of the same answer write nothing.
pub async fn sweep_answer_notices(
    community: &kosodate_community::Community,
    notices: &kosodate_planner::CommunityNotices,
    public_url: &url::Url,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<u64> {
    let awaiting = community
        .answers_awaiting_notice(now - NOTICE_GRACE, NOTICE_SWEEP_BATCH, now)
        .await?;
    let mut planned = 0;
    for posted in &awaiting {
        planned += notify_asker(notices, public_url, posted).await?;
    }
    Ok(planned)
}

/// Sweeps for unplanned answer notices every minute in the background.
pub fn spawn_answer_notice_sweep(state: AppState) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(NOTICE_SWEEP_EVERY);
        loop {
            ticker.tick().await;
            let swept = sweep_answer_notices(
                &state.community,
                &state.community_notices,
                &state.public_url,
                Utc::now(),
            )
            .await;
            match swept {
                Ok(0) => {}
                Ok(planned) => tracing::info!(planned, "answer notices planned by the sweep"),
                Err(error) => tracing::warn!(error = format!("{error:#}"), "the answer notice sweep failed"),
            }
        }
    });
}

/// Plans the asker's notices and marks the answer planned; a failure does not undo the answer
/// (the asker still sees it on the page, and the sweep plans it later).
async fn notify_asker(
    notices: &kosodate_planner::CommunityNotices,
    public_url: &url::Url,
    posted: &AnswerPosted,
) -> anyhow::Result<u64> {
    // Nobody to tell: the answer was stored as planned.
    let Some(asker) = posted.notify else {
        return Ok(0);
    };
    let asker = AccountId::parse(&asker.to_string())?;
    let question_url = public_url.join(&question_path(posted.question))?;
    let notice = kosodate_planner::AnswerPosted {
        asker,
        answer: posted.answer,
        question_title: posted.question_title.clone(),
        question_url,
    };
    Ok(notices.answer_posted(&notice, Utc::now()).await?)
}

/// A question like the one about to be asked.
#[derive(Debug, Clone)]
pub struct SimilarFound {
    pub id: Uuid,
    pub title: String,
    pub answer_count: u32,
    pub score: f32,
}

/// Questions like `title` and `body`, best first, as anyone may read them.
pub async fn similar(
    state: &AppState,
    title: &str,
    body: &str,
    limit: usize,
) -> Result<Vec<SimilarFound>, ApiError> {
    let text = format!("{title}\n{body}");
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let found = state.question_search.similar(text, limit).await?;
    let ids: Vec<Uuid> = found.iter().map(|candidate| candidate.id).collect();
    // Hidden or gone since they were indexed: left out.
    let visible = state.community.visible_questions(&ids).await?;
    Ok(visible
        .into_iter()
        .map(|question| SimilarFound {
            id: question.id,
            score: found
                .iter()
                .find(|candidate| candidate.id == question.id)
                .map_or(0.0, |candidate| candidate.score),
            title: question.title,
            answer_count: question.answer_count,
        })
        .collect())
}

/// The page of a question.
pub fn question_path(question: Uuid) -> String {
    format!("/community/questions/{question}")
}

/// Up to three published programs that relate to a question, in its municipality (with the
/// prefecture's and national ones) when it names one: its text cut into content words by the same
/// analysis as program search, relaxed to some of the words. Never logged as a search.
pub async fn related_programs(
    state: &AppState,
    title: &str,
    body: &str,
    municipality: Option<MunicipalityCode>,
) -> Vec<ProgramCard> {
    let text: String = format!("{title} {body}")
        .chars()
        .take(kosodate_search::MAX_QUERY_CHARS)
        .collect();
    let Ok(query) = SearchQuery::parse(&text) else {
        return Vec::new();
    };
    let mut request = SearchRequest::new(Some(query), japan::date_of(Utc::now()));
    request.municipality = municipality;
    request.limit = RELATED_PROGRAMS;
    programs(state, request).await
}

/// Where to ask in person: the municipality's こども家庭センター, or else its consultation
/// programs (the prefecture's when the question names no municipality).
pub async fn places_to_ask(state: &AppState, municipality: Option<MunicipalityCode>) -> Vec<ProgramCard> {
    let mut request = SearchRequest::new(None, japan::date_of(Utc::now()));
    request.municipality = municipality;
    request.limit = PLACES_TO_ASK;
    if municipality.is_some() {
        let mut center = request.clone();
        center.program_types = vec![KODOMO_KATEI_CENTER.to_owned()];
        let found = programs(state, center).await;
        if !found.is_empty() {
            return found;
        }
    }
    request.categories = vec![Category::Consultation];
    programs(state, request).await
}

/// A program's contact as the question page shows it: the section and the phone number.
pub async fn contact_of(state: &AppState, card: &ProgramCard) -> Option<String> {
    let program = state.registry.program(card.id, Visibility::Public).await.ok()?;
    let contact = &program.content.contact;
    let parts: Vec<&str> = [&contact.section, &contact.phone]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

async fn programs(state: &AppState, request: SearchRequest) -> Vec<ProgramCard> {
    let index = std::sync::Arc::clone(state.search.follower.index());
    match tokio::task::spawn_blocking(move || index.search(&request)).await {
        Ok(Ok(results)) => results.hits.iter().map(|hit| hit.program.clone()).collect(),
        Ok(Err(error)) => {
            tracing::warn!(error = %error_chain(&error), "related programs could not be searched");
            Vec::new()
        }
        Err(_) => Vec::new(),
    }
}

/// The community's part of "My data": the member record and posts.
pub async fn export(state: &AppState, account: AccountId) -> Result<Option<serde_json::Value>, ApiError> {
    let Some(exported) = state.community.export(member_key(account)).await? else {
        return Ok(None);
    };
    Ok(Some(
        serde_json::to_value(exported).map_err(|_| ApiError::internal())?,
    ))
}

/// "My data": the household's, with the community's part when the parent is a member.
pub async fn my_data(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
) -> Result<serde_json::Value, ApiError> {
    let mut data = crate::parent::export(state, account, context).await?;
    if let (Some(object), Some(community)) = (data.as_object_mut(), export(state, account).await?) {
        object.insert("community".to_owned(), community);
    }
    Ok(data)
}

/// Deletes everything held about the parent: leaves the community first, the posts anonymised
/// or removed as they chose, then the household.
pub async fn delete_account(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    posts: Departure,
) -> Result<(), ApiError> {
    crate::parent::require_household(state, account).await?;
    depart(state, account, context, posts).await?;
    crate::parent::delete_household(state, account, context).await
}

/// Leaves the community: posts anonymised or removed as the parent chose.
pub async fn depart(
    state: &AppState,
    account: AccountId,
    context: &RequestContext,
    departure: Departure,
) -> Result<(), ApiError> {
    let key = member_key(account);
    if state.community.member(key).await?.is_none() {
        return Ok(());
    }
    state.community.depart(key, departure, Utc::now()).await?;
    state.question_search.nudge();
    let action = match departure {
        Departure::Anonymise => "community.depart.anonymise",
        Departure::Remove => "community.depart.remove",
    };
    record(state, account, context, action).await
}

/// A staff decision on the community, audited with its target and outcome: refused (403) when
/// the staff member may not, recorded as failed when the community refuses it.
pub async fn staff_decision<T>(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    (action, audit_action): (StaffAction<'_>, &'static str),
    target: String,
    decision: impl Future<Output = Result<T, CommunityError>>,
) -> Result<T, ApiError> {
    if !staff.permits(action) {
        crate::audit::staff_action_on(state, staff, context, audit_action, target, Outcome::Denied).await?;
        return Err(ApiError::forbidden(
            "コミュニティの管理は県の担当者だけができます",
            format!("{} may not {audit_action}", staff.name),
        ));
    }
    let result = decision.await;
    let outcome = match &result {
        Ok(_) => Outcome::Allowed,
        Err(_) => Outcome::Failed,
    };
    crate::audit::staff_action_on(state, staff, context, audit_action, target, outcome).await?;
    if result.is_ok() {
        state.question_search.nudge();
    }
    Ok(result?)
}

/// Hides, restores or dismisses the reports of a post, with the staff member's reason.
pub async fn moderate(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    post: PostRef,
    action: ModerationAction,
    reason: &str,
) -> Result<Decision, ApiError> {
    let community = &state.community;
    let now = Utc::now();
    let (audit_action, decision) = match action {
        ModerationAction::Hide => (
            "community.hide",
            community.hide(post, reason, &staff.name, now).boxed(),
        ),
        ModerationAction::Restore => (
            "community.restore",
            community.restore(post, reason, &staff.name, now).boxed(),
        ),
        ModerationAction::Dismiss => (
            "community.dismiss",
            community.dismiss_reports(post, reason, &staff.name, now).boxed(),
        ),
    };
    let target = format!("{}:{}", post.kind.id(), post.id);
    staff_decision(
        state,
        staff,
        context,
        (StaffAction::ModerateCommunity, audit_action),
        target,
        decision,
    )
    .await
}

/// Verifies a member as an expert, or takes the badge away.
pub async fn verify_expert(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    account: Uuid,
    verify: bool,
) -> Result<Member, ApiError> {
    let community = &state.community;
    let (audit_action, decision) = match verify {
        true => (
            "community.expert.verify",
            community.verify_expert(account, &staff.name, Utc::now()).boxed(),
        ),
        false => (
            "community.expert.revoke",
            community.revoke_expert(account).boxed(),
        ),
    };
    let target = format!("member:{account}");
    staff_decision(
        state,
        staff,
        context,
        (StaffAction::VerifyExperts, audit_action),
        target,
        decision,
    )
    .await
}
