use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The parents' community: members under a display name (known by their account id only, never
/// by their sign-in identity), questions and answers (the stored text is the masked one), helpful
/// marks, every earlier text of an edited post, reports and the staff's moderation decisions.
/// A departing member's row is deleted: their posts keep no author (anonymised) or are erased.
/// Posts are found by kind and id in revisions, reports and decisions (`question` or `answer`).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            members(),
            questions(),
            answers(),
            helpful_marks(),
            revisions(),
            reports(),
            decisions(),
        ] {
            manager.create_table(table).await?;
        }
        for statement in INDEXES {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CommunityModerationDecisions::Table.into_iden(),
            CommunityReports::Table.into_iden(),
            CommunityRevisions::Table.into_iden(),
            CommunityHelpfulMarks::Table.into_iden(),
            CommunityAnswers::Table.into_iden(),
            CommunityQuestions::Table.into_iden(),
            CommunityMembers::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// One per query the community runs: lists by each filter in newest-first order (keyset on
/// `created_at, id`), rate limits (a member's posts since an instant), the index's change feed
/// (`updated_at, id`), the evidence pages' days (`created_at, id` whatever the status), a
/// question's answers, the open reports (the moderation queue, oldest first) and each post's
/// history.
const INDEXES: [&str; 19] = [
    "CREATE UNIQUE INDEX community_members_name_idx ON community_members (display_name_folded)",
    "CREATE INDEX community_members_expert_idx ON community_members (expert_requested_at)",
    "CREATE INDEX community_questions_list_idx ON community_questions (status, created_at, id)",
    "CREATE INDEX community_questions_category_idx ON community_questions (category, status, created_at, id)",
    "CREATE INDEX community_questions_municipality_idx ON community_questions (municipality_code, status, created_at, id)",
    "CREATE INDEX community_questions_region_idx ON community_questions (region, status, created_at, id)",
    "CREATE INDEX community_questions_age_idx ON community_questions (age_band, status, created_at, id)",
    "CREATE INDEX community_questions_unanswered_idx ON community_questions (answer_count, status, created_at, id)",
    "CREATE INDEX community_questions_author_idx ON community_questions (author_account, created_at)",
    "CREATE INDEX community_questions_changed_idx ON community_questions (updated_at, id)",
    "CREATE INDEX community_questions_created_idx ON community_questions (created_at, id)",
    "CREATE INDEX community_answers_question_idx ON community_answers (question_id, created_at)",
    "CREATE INDEX community_answers_author_idx ON community_answers (author_account, created_at)",
    "CREATE INDEX community_helpful_marks_account_idx ON community_helpful_marks (account_id)",
    "CREATE INDEX community_revisions_post_idx ON community_revisions (post_kind, post_id, edited_at)",
    "CREATE INDEX community_reports_open_idx ON community_reports (created_at) WHERE resolved_at IS NULL",
    "CREATE INDEX community_reports_post_idx ON community_reports (post_kind, post_id, resolved_at)",
    "CREATE INDEX community_reports_reporter_idx ON community_reports (reporter, created_at)",
    "CREATE INDEX community_decisions_post_idx ON community_moderation_decisions (post_kind, post_id, decided_at)",
];

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn optional_timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string_len(36).not_null().to_owned()
}

fn optional_id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string_len(36).null().to_owned()
}

fn short(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string_len(32).not_null().to_owned()
}

fn count(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).integer().not_null().default(0).to_owned()
}

/// An author who leaves keeps no link to their posts.
fn author_of(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(CommunityMembers::Table, CommunityMembers::AccountId)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

/// A member: the display name as written and folded (NFKC, case, kana) so that look-alike names
/// are one name; an expert's request and its verification by staff (the staff member's name).
fn members() -> TableCreateStatement {
    Table::create()
        .table(CommunityMembers::Table)
        .col(id(CommunityMembers::AccountId).primary_key().to_owned())
        .col(
            ColumnDef::new(CommunityMembers::DisplayName)
                .string_len(64)
                .not_null(),
        )
        .col(
            ColumnDef::new(CommunityMembers::DisplayNameFolded)
                .string_len(128)
                .not_null(),
        )
        .col(
            ColumnDef::new(CommunityMembers::NotifyAnswers)
                .boolean()
                .not_null(),
        )
        .col(timestamp(CommunityMembers::JoinedAt))
        .col(
            ColumnDef::new(CommunityMembers::ExpertProfession)
                .string_len(32)
                .null(),
        )
        .col(
            ColumnDef::new(CommunityMembers::ExpertOrganisation)
                .string_len(255)
                .null(),
        )
        .col(optional_timestamp(CommunityMembers::ExpertRequestedAt))
        .col(optional_timestamp(CommunityMembers::ExpertVerifiedAt))
        .col(
            ColumnDef::new(CommunityMembers::ExpertVerifiedBy)
                .string_len(255)
                .null(),
        )
        .to_owned()
}

/// A question: coarse tags only (municipality or region, a child's age band), its status
/// (`visible`, `hidden` by staff, `removed` with its author), counts kept with it for lists, and
/// `updated_at`, the last change of what the question index holds (text, category, place, status).
fn questions() -> TableCreateStatement {
    Table::create()
        .table(CommunityQuestions::Table)
        .col(id(CommunityQuestions::Id).primary_key().to_owned())
        .col(optional_id(CommunityQuestions::AuthorAccount))
        .col(short(CommunityQuestions::Category))
        .col(
            ColumnDef::new(CommunityQuestions::MunicipalityCode)
                .string_len(6)
                .null(),
        )
        .col(ColumnDef::new(CommunityQuestions::Region).string_len(16).null())
        .col(ColumnDef::new(CommunityQuestions::AgeBand).string_len(16).null())
        .col(
            ColumnDef::new(CommunityQuestions::Title)
                .string_len(255)
                .not_null(),
        )
        .col(ColumnDef::new(CommunityQuestions::Body).text().not_null())
        .col(short(CommunityQuestions::Status))
        .col(optional_id(CommunityQuestions::AcceptedAnswer))
        .col(
            ColumnDef::new(CommunityQuestions::RelatedProgramCount)
                .integer()
                .null(),
        )
        .col(count(CommunityQuestions::AnswerCount))
        .col(optional_timestamp(CommunityQuestions::FirstAnsweredAt))
        .col(timestamp(CommunityQuestions::CreatedAt))
        .col(timestamp(CommunityQuestions::UpdatedAt))
        .col(
            ColumnDef::new(CommunityQuestions::Version)
                .integer()
                .not_null()
                .default(1),
        )
        .foreign_key(&mut author_of(
            CommunityQuestions::Table,
            CommunityQuestions::AuthorAccount,
        ))
        .to_owned()
}

/// An answer, with the profession of its author's verified expert badge when it was posted.
fn answers() -> TableCreateStatement {
    Table::create()
        .table(CommunityAnswers::Table)
        .col(id(CommunityAnswers::Id).primary_key().to_owned())
        .col(id(CommunityAnswers::QuestionId))
        .col(optional_id(CommunityAnswers::AuthorAccount))
        .col(ColumnDef::new(CommunityAnswers::Body).text().not_null())
        .col(
            ColumnDef::new(CommunityAnswers::ExpertBadge)
                .string_len(32)
                .null(),
        )
        .col(short(CommunityAnswers::Status))
        .col(count(CommunityAnswers::HelpfulCount))
        .col(timestamp(CommunityAnswers::CreatedAt))
        .col(timestamp(CommunityAnswers::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(CommunityAnswers::Table, CommunityAnswers::QuestionId)
                .to(CommunityQuestions::Table, CommunityQuestions::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(&mut author_of(
            CommunityAnswers::Table,
            CommunityAnswers::AuthorAccount,
        ))
        .to_owned()
}

/// Who found an answer helpful: once per member and answer.
fn helpful_marks() -> TableCreateStatement {
    Table::create()
        .table(CommunityHelpfulMarks::Table)
        .col(id(CommunityHelpfulMarks::AnswerId))
        .col(id(CommunityHelpfulMarks::AccountId))
        .col(timestamp(CommunityHelpfulMarks::MarkedAt))
        .primary_key(
            Index::create()
                .col(CommunityHelpfulMarks::AnswerId)
                .col(CommunityHelpfulMarks::AccountId),
        )
        .foreign_key(
            ForeignKey::create()
                .from(CommunityHelpfulMarks::Table, CommunityHelpfulMarks::AnswerId)
                .to(CommunityAnswers::Table, CommunityAnswers::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(CommunityHelpfulMarks::Table, CommunityHelpfulMarks::AccountId)
                .to(CommunityMembers::Table, CommunityMembers::AccountId)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// The text a post had before an edit (an answer has no title).
fn revisions() -> TableCreateStatement {
    Table::create()
        .table(CommunityRevisions::Table)
        .col(id(CommunityRevisions::Id).primary_key().to_owned())
        .col(short(CommunityRevisions::PostKind))
        .col(id(CommunityRevisions::PostId))
        .col(ColumnDef::new(CommunityRevisions::Title).string_len(255).null())
        .col(ColumnDef::new(CommunityRevisions::Body).text().not_null())
        .col(timestamp(CommunityRevisions::EditedAt))
        .to_owned()
}

/// A member's report of a post, open until staff decide on the post (`resolution`: the action).
fn reports() -> TableCreateStatement {
    Table::create()
        .table(CommunityReports::Table)
        .col(id(CommunityReports::Id).primary_key().to_owned())
        .col(short(CommunityReports::PostKind))
        .col(id(CommunityReports::PostId))
        .col(optional_id(CommunityReports::Reporter))
        .col(short(CommunityReports::Reason))
        .col(ColumnDef::new(CommunityReports::Note).string_len(2000).null())
        .col(timestamp(CommunityReports::CreatedAt))
        .col(optional_timestamp(CommunityReports::ResolvedAt))
        .col(ColumnDef::new(CommunityReports::Resolution).string_len(32).null())
        .foreign_key(&mut author_of(
            CommunityReports::Table,
            CommunityReports::Reporter,
        ))
        .to_owned()
}

/// What staff decided about a post and why (`hide`, `restore`, `dismiss`), by the staff member's
/// name; the server writes the audit log beside it.
fn decisions() -> TableCreateStatement {
    Table::create()
        .table(CommunityModerationDecisions::Table)
        .col(id(CommunityModerationDecisions::Id).primary_key().to_owned())
        .col(short(CommunityModerationDecisions::PostKind))
        .col(id(CommunityModerationDecisions::PostId))
        .col(short(CommunityModerationDecisions::Action))
        .col(
            ColumnDef::new(CommunityModerationDecisions::Reason)
                .string_len(2000)
                .not_null(),
        )
        .col(
            ColumnDef::new(CommunityModerationDecisions::StaffName)
                .string_len(255)
                .not_null(),
        )
        .col(timestamp(CommunityModerationDecisions::DecidedAt))
        .to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityMembers {
    Table,
    AccountId,
    DisplayName,
    DisplayNameFolded,
    NotifyAnswers,
    JoinedAt,
    ExpertProfession,
    ExpertOrganisation,
    ExpertRequestedAt,
    ExpertVerifiedAt,
    ExpertVerifiedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityQuestions {
    Table,
    Id,
    AuthorAccount,
    Category,
    MunicipalityCode,
    Region,
    AgeBand,
    Title,
    Body,
    Status,
    AcceptedAnswer,
    RelatedProgramCount,
    AnswerCount,
    FirstAnsweredAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityAnswers {
    Table,
    Id,
    QuestionId,
    AuthorAccount,
    Body,
    ExpertBadge,
    Status,
    HelpfulCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityHelpfulMarks {
    Table,
    AnswerId,
    AccountId,
    MarkedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityRevisions {
    Table,
    Id,
    PostKind,
    PostId,
    Title,
    Body,
    EditedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityReports {
    Table,
    Id,
    PostKind,
    PostId,
    Reporter,
    Reason,
    Note,
    CreatedAt,
    ResolvedAt,
    Resolution,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommunityModerationDecisions {
    Table,
    Id,
    PostKind,
    PostId,
    Action,
    Reason,
    StaffName,
    DecidedAt,
}
