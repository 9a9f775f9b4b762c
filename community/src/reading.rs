//! Reading the community: one question with its answers as a viewer may see it, lists of
//! questions by filter in newest-first keyset pages, a member's own posts, and a post's history.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use kosodate_domain::{AgeBand, MunicipalityCode, Vocabulary};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entity::{answer, helpful_mark, member, question, revision};
use crate::error::CommunityError;
use crate::store::{Community, optional_value, stored_uuid, stored_value};
use crate::vocabulary::{PostKind, PostStatus, Profession, QuestionCategory, Region};

/// What everybody reads for the author of a post whose member has left.
pub const DEPARTED_MEMBER: &str = "退会したメンバー";

/// How many characters of a question's text a list shows.
const EXCERPT_CHARS: usize = 120;

/// Who is reading: hidden and removed posts are shown to moderators and to their author only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Public,
    Account(Uuid),
    Moderator,
}

impl Viewer {
    fn account(self) -> Option<Uuid> {
        match self {
            Self::Account(account) => Some(account),
            _ => None,
        }
    }

    fn may_see(self, status: PostStatus, author: Option<&str>) -> bool {
        match (status, self) {
            (PostStatus::Visible, _) | (_, Self::Moderator) => true,
            (PostStatus::Hidden, Self::Account(account)) => author == Some(account.to_string().as_str()),
            _ => false,
        }
    }
}

/// The author of a post as readers see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Author {
    /// The display name, or 「退会したメンバー」.
    pub display_name: String,
    pub departed: bool,
    /// The verified profession of the expert badge the post carries.
    pub expert: Option<Profession>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: Uuid,
    pub category: QuestionCategory,
    #[schema(value_type = Option<String>)]
    pub municipality: Option<MunicipalityCode>,
    pub region: Option<Region>,
    #[schema(value_type = Option<String>)]
    pub age_band: Option<AgeBand>,
    pub title: String,
    pub body: String,
    pub status: PostStatus,
    pub author: Author,
    /// Whether the viewer asked it (and so may edit it and accept an answer).
    pub asked_by_viewer: bool,
    pub edited: bool,
    pub accepted_answer: Option<Uuid>,
    pub related_program_count: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The accepted answer first, then the most helpful, then the oldest.
    pub answers: Vec<AnswerView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnswerView {
    pub id: Uuid,
    pub author: Author,
    pub body: String,
    pub status: PostStatus,
    pub helpful_count: u32,
    pub accepted: bool,
    pub answered_by_viewer: bool,
    pub marked_helpful_by_viewer: bool,
    pub edited: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A question in a list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionSummary {
    pub id: Uuid,
    pub category: QuestionCategory,
    #[schema(value_type = Option<String>)]
    pub municipality: Option<MunicipalityCode>,
    pub region: Option<Region>,
    #[schema(value_type = Option<String>)]
    pub age_band: Option<AgeBand>,
    pub title: String,
    /// The first characters of the question's text.
    pub excerpt: String,
    pub status: PostStatus,
    pub answer_count: u32,
    pub answered: bool,
    pub has_accepted_answer: bool,
    pub created_at: DateTime<Utc>,
}

impl QuestionSummary {
    /// The key a page after this question starts from: give it to the registry's
    /// `Page::from_overfetch`, which makes the opaque cursor; [`Community::questions`] reads it back.
    pub fn cursor_key(&self) -> String {
        format!("{}|{}", self.created_at.to_rfc3339(), self.id)
    }
}

/// Which questions a list shows (always visible ones, newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionFilter {
    pub category: Option<QuestionCategory>,
    pub municipality: Option<MunicipalityCode>,
    /// Questions tagged with the region (the server tags a question with its municipality's
    /// region too, so that they are found here).
    pub region: Option<Region>,
    pub age_band: Option<AgeBand>,
    pub unanswered: bool,
}

/// A member's own posts, for their page.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MyPosts {
    pub questions: Vec<QuestionSummary>,
    pub answers: Vec<MyAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MyAnswer {
    pub id: Uuid,
    pub question: Uuid,
    pub question_title: String,
    pub body: String,
    pub status: PostStatus,
    pub helpful_count: u32,
    pub accepted: bool,
    pub created_at: DateTime<Utc>,
}

/// A post's text before one of its edits.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Revision {
    pub title: Option<String>,
    pub body: String,
    /// When this text was replaced.
    pub edited_at: DateTime<Utc>,
}

/// The longest page of questions, as the API's pages.
pub const MAX_PAGE: u64 = 500;

/// The most a member's page lists of each kind of post.
const MINE_MAX: u64 = 200;

fn count(value: i32) -> u32 {
    u32::try_from(value).unwrap_or_default()
}

pub(crate) fn summary_from_row(row: question::Model) -> Result<QuestionSummary, CommunityError> {
    Ok(QuestionSummary {
        id: stored_uuid(&row.id)?,
        category: stored_value(&row.category)?,
        municipality: stored_municipality(row.municipality_code.as_deref())?,
        region: optional_value(row.region.as_deref())?,
        age_band: optional_value(row.age_band.as_deref())?,
        excerpt: row.body.chars().take(EXCERPT_CHARS).collect(),
        title: row.title,
        status: stored_value(&row.status)?,
        answer_count: count(row.answer_count),
        answered: row.first_answered_at.is_some(),
        has_accepted_answer: row.accepted_answer.is_some(),
        created_at: row.created_at,
    })
}

pub(crate) fn stored_municipality(code: Option<&str>) -> Result<Option<MunicipalityCode>, CommunityError> {
    code.map(|code| {
        MunicipalityCode::parse(code).map_err(|_| CommunityError::Corrupt(format!("municipality {code}")))
    })
    .transpose()
}

/// `created_at|id` of the last question of the previous page.
fn parse_cursor(key: &str) -> Result<(DateTime<Utc>, Uuid), CommunityError> {
    let (at, id) = key.split_once('|').ok_or(CommunityError::InvalidCursor)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| CommunityError::InvalidCursor)?;
    let id = Uuid::parse_str(id).map_err(|_| CommunityError::InvalidCursor)?;
    Ok((at.with_timezone(&Utc), id))
}

impl Community {
    /// A question and its answers as `viewer` may see them; hidden and removed questions are not
    /// found except by moderators and (hidden ones) by their author.
    pub async fn question(&self, id: Uuid, viewer: Viewer) -> Result<QuestionView, CommunityError> {
        let row = question::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .filter(|row| {
                viewer.may_see(
                    stored_value(&row.status).unwrap_or(PostStatus::Removed),
                    row.author_account.as_deref(),
                )
            })
            .ok_or(CommunityError::QuestionNotFound(id))?;
        let answers: Vec<answer::Model> = answer::Entity::find()
            .filter(answer::Column::QuestionId.eq(row.id.as_str()))
            .order_by_asc(answer::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|answer| {
                stored_value(&answer.status)
                    .is_ok_and(|status| viewer.may_see(status, answer.author_account.as_deref()))
            })
            .collect();
        let context = ReadingContext::load(self, &row, &answers, viewer).await?;
        let accepted_answer = row.accepted_answer.as_deref().map(stored_uuid).transpose()?;
        let mut answer_views = answers
            .into_iter()
            .map(|answer| context.answer_view(answer, accepted_answer, viewer))
            .collect::<Result<Vec<_>, _>>()?;
        answer_views.sort_by(|a, b| {
            (b.accepted, b.helpful_count)
                .cmp(&(a.accepted, a.helpful_count))
                .then(a.created_at.cmp(&b.created_at))
        });
        let author_account = row.author_account.clone();
        Ok(QuestionView {
            id,
            category: stored_value(&row.category)?,
            municipality: stored_municipality(row.municipality_code.as_deref())?,
            region: optional_value(row.region.as_deref())?,
            age_band: optional_value(row.age_band.as_deref())?,
            status: stored_value(&row.status)?,
            author: context.author(author_account.as_deref(), None),
            asked_by_viewer: is_viewer(author_account.as_deref(), viewer),
            edited: context.edited.contains(&row.id),
            accepted_answer: accepted_answer
                .filter(|accepted| answer_views.iter().any(|a| a.id == *accepted)),
            related_program_count: row.related_program_count.map(count),
            created_at: row.created_at,
            updated_at: row.updated_at,
            title: row.title,
            body: row.body,
            answers: answer_views,
        })
    }

    /// Up to `limit + 1` visible questions after the cursor key `after` (see
    /// [`QuestionSummary::cursor_key`]), newest first: the extra one says there is a next page.
    /// `limit` is brought within 1 to [`MAX_PAGE`].
    pub async fn questions(
        &self,
        filter: &QuestionFilter,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<QuestionSummary>, CommunityError> {
        let mut query = question::Entity::find()
            .filter(question::Column::Status.eq(PostStatus::Visible.id()))
            .order_by_desc(question::Column::CreatedAt)
            .order_by_desc(question::Column::Id)
            .limit(limit.clamp(1, MAX_PAGE) + 1);
        if let Some(category) = filter.category {
            query = query.filter(question::Column::Category.eq(category.id()));
        }
        if let Some(municipality) = filter.municipality {
            query = query.filter(question::Column::MunicipalityCode.eq(municipality.as_str()));
        }
        if let Some(region) = filter.region {
            query = query.filter(question::Column::Region.eq(region.id()));
        }
        if let Some(band) = filter.age_band {
            query = query.filter(question::Column::AgeBand.eq(band.id()));
        }
        if filter.unanswered {
            query = query.filter(question::Column::AnswerCount.eq(0));
        }
        if let Some((at, id)) = after.map(parse_cursor).transpose()? {
            // The first bound alone is what PostgreSQL can start an index scan from; the pair
            // behind it decides the ties.
            query = query.filter(question::Column::CreatedAt.lte(at)).filter(
                Condition::any().add(question::Column::CreatedAt.lt(at)).add(
                    Condition::all()
                        .add(question::Column::CreatedAt.eq(at))
                        .add(question::Column::Id.lt(id.to_string())),
                ),
            );
        }
        query
            .all(&self.db)
            .await?
            .into_iter()
            .map(summary_from_row)
            .collect()
    }

    /// The visible questions among `ids`, in the order given: what the question index found
    /// (similar questions, a text search), read in one query.
    pub async fn visible_questions(&self, ids: &[Uuid]) -> Result<Vec<QuestionSummary>, CommunityError> {
        let wanted: Vec<String> = ids
            .iter()
            .take(usize::try_from(MAX_PAGE).unwrap_or(usize::MAX))
            .map(Uuid::to_string)
            .collect();
        let mut found: HashMap<Uuid, QuestionSummary> = HashMap::new();
        for row in question::Entity::find()
            .filter(question::Column::Id.is_in(wanted))
            .filter(question::Column::Status.eq(PostStatus::Visible.id()))
            .all(&self.db)
            .await?
        {
            let summary = summary_from_row(row)?;
            found.insert(summary.id, summary);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// The member's own questions and answers, newest first (removed ones left out).
    pub async fn mine(&self, account: Uuid) -> Result<MyPosts, CommunityError> {
        let questions = question::Entity::find()
            .filter(question::Column::AuthorAccount.eq(account.to_string()))
            .filter(question::Column::Status.ne(PostStatus::Removed.id()))
            .order_by_desc(question::Column::CreatedAt)
            .limit(MINE_MAX)
            .all(&self.db)
            .await?
            .into_iter()
            .map(summary_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let rows = answer::Entity::find()
            .filter(answer::Column::AuthorAccount.eq(account.to_string()))
            .filter(answer::Column::Status.ne(PostStatus::Removed.id()))
            .order_by_desc(answer::Column::CreatedAt)
            .limit(MINE_MAX)
            .all(&self.db)
            .await?;
        let asked: HashMap<String, question::Model> = question::Entity::find()
            .filter(question::Column::Id.is_in(rows.iter().map(|answer| answer.question_id.as_str())))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|question| (question.id.clone(), question))
            .collect();
        let answers = rows
            .into_iter()
            .filter_map(|answer| Some((asked.get(&answer.question_id)?, answer)))
            .map(|(question, answer)| {
                Ok(MyAnswer {
                    id: stored_uuid(&answer.id)?,
                    question: stored_uuid(&question.id)?,
                    accepted: question.accepted_answer.as_deref() == Some(answer.id.as_str()),
                    question_title: question.title.clone(),
                    body: answer.body,
                    status: stored_value(&answer.status)?,
                    helpful_count: count(answer.helpful_count),
                    created_at: answer.created_at,
                })
            })
            .collect::<Result<Vec<_>, CommunityError>>()?;
        Ok(MyPosts { questions, answers })
    }

    /// Every earlier text of a post, oldest first.
    pub async fn revisions(&self, kind: PostKind, id: Uuid) -> Result<Vec<Revision>, CommunityError> {
        Ok(revision::Entity::find()
            .filter(revision::Column::PostKind.eq(kind.id()))
            .filter(revision::Column::PostId.eq(id.to_string()))
            .order_by_asc(revision::Column::EditedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| Revision {
                title: row.title,
                body: row.body,
                edited_at: row.edited_at,
            })
            .collect())
    }
}

fn is_viewer(author: Option<&str>, viewer: Viewer) -> bool {
    viewer
        .account()
        .is_some_and(|account| author == Some(account.to_string().as_str()))
}

/// What a question's page needs besides its rows: the authors' names, which posts were edited
/// and which answers the viewer found helpful.
struct ReadingContext {
    names: HashMap<String, String>,
    edited: HashSet<String>,
    marked: HashSet<String>,
}

impl ReadingContext {
    async fn load(
        community: &Community,
        question: &question::Model,
        answers: &[answer::Model],
        viewer: Viewer,
    ) -> Result<Self, CommunityError> {
        let post_ids: Vec<&str> = std::iter::once(question.id.as_str())
            .chain(answers.iter().map(|answer| answer.id.as_str()))
            .collect();
        let authors: Vec<&str> = std::iter::once(&question.author_account)
            .chain(answers.iter().map(|answer| &answer.author_account))
            .filter_map(Option::as_deref)
            .collect();
        let names = member::Entity::find()
            .filter(member::Column::AccountId.is_in(authors))
            .all(&community.db)
            .await?
            .into_iter()
            .map(|member| (member.account_id, member.display_name))
            .collect();
        let edited = revision::Entity::find()
            .select_only()
            .column(revision::Column::PostId)
            .filter(revision::Column::PostId.is_in(post_ids.iter().copied()))
            .into_tuple::<String>()
            .all(&community.db)
            .await?
            .into_iter()
            .collect();
        let marked = match viewer.account() {
            None => HashSet::new(),
            Some(account) => helpful_mark::Entity::find()
                .select_only()
                .column(helpful_mark::Column::AnswerId)
                .filter(helpful_mark::Column::AccountId.eq(account.to_string()))
                .filter(helpful_mark::Column::AnswerId.is_in(post_ids.iter().copied()))
                .into_tuple::<String>()
                .all(&community.db)
                .await?
                .into_iter()
                .collect(),
        };
        Ok(Self {
            names,
            edited,
            marked,
        })
    }

    fn author(&self, account: Option<&str>, expert: Option<Profession>) -> Author {
        match account.and_then(|account| self.names.get(account)) {
            Some(name) => Author {
                display_name: name.clone(),
                departed: false,
                expert,
            },
            None => Author {
                display_name: DEPARTED_MEMBER.to_owned(),
                departed: true,
                expert,
            },
        }
    }

    fn answer_view(
        &self,
        row: answer::Model,
        accepted: Option<Uuid>,
        viewer: Viewer,
    ) -> Result<AnswerView, CommunityError> {
        let id = stored_uuid(&row.id)?;
        let expert: Option<Profession> = optional_value(row.expert_badge.as_deref())?;
        Ok(AnswerView {
            id,
            author: self.author(row.author_account.as_deref(), expert),
            answered_by_viewer: is_viewer(row.author_account.as_deref(), viewer),
            marked_helpful_by_viewer: self.marked.contains(&row.id),
            edited: self.edited.contains(&row.id),
            accepted: accepted == Some(id),
            status: stored_value(&row.status)?,
            helpful_count: count(row.helpful_count),
            body: row.body,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}
