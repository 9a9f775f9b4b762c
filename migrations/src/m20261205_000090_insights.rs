use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Evidence for policy (the `insights` crate). The search log gains `searcher`: a pseudonym that
/// counts one browser's searches of one week (Monday to Sunday, Japanese dates) as one person and
/// nothing more (an HMAC with that week's key from `insights_weekly_keys`, keyed by the week's
/// Monday and deleted once the week's terms and queries are rolled up, so that no pseudonym can be
/// recomputed afterwards). `insights_secrets` holds the service's own keys, such as the one the
/// open-data noise is derived from. `search_clicks` records which result of a search was
/// opened, without identity. The roll-ups hold counts only: searches per hour and per day
/// (municipality, category, age band; `''` where a search had none, and category `''` is the
/// row that counts every search once), questions per day, how many days questions waited for
/// their first answer, terms and whole queries per week with distinct people, distinct searchers
/// per complete week. `insights_rollups` records which (kind, period) is done: its primary key
/// makes a roll-up happen once however many processes run it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(SearchLog::Table)
                    .add_column(ColumnDef::new(SearchLog::Searcher).string_len(16).null())
                    .to_owned(),
            )
            .await?;
        for table in [
            weekly_keys(),
            secrets(),
            search_clicks(),
            search_volumes(Names::SearchHourly, Names::Hour, true),
            search_volumes(Names::SearchDaily, Names::Day, false),
            question_volumes(),
            question_answers(),
            weekly_searchers(),
            weekly_terms(),
            weekly_queries(),
            rollups(),
        ] {
            manager.create_table(table).await?;
        }
        for statement in [
            "CREATE INDEX search_clicks_hour_idx ON search_clicks (clicked_hour)",
            "CREATE INDEX search_clicks_search_idx ON search_clicks (search_id)",
            "CREATE INDEX insights_terms_weekly_people_idx \
             ON insights_terms_weekly (week, source, people)",
        ] {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Names::Rollups,
            Names::QueriesWeekly,
            Names::TermsWeekly,
            Names::SearchWeekly,
            Names::QuestionAnswers,
            Names::QuestionDaily,
            Names::SearchDaily,
            Names::SearchHourly,
            Names::SearchClicks,
            Names::Secrets,
            Names::WeeklyKeys,
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SearchLog::Table)
                    .drop_column(SearchLog::Searcher)
                    .to_owned(),
            )
            .await
    }
}

fn key(column: Names, length: u32) -> ColumnDef {
    ColumnDef::new(column)
        .string_len(length)
        .not_null()
        .default("")
        .to_owned()
}

fn count(column: Names) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn day(column: Names) -> ColumnDef {
    ColumnDef::new(column).date().not_null().to_owned()
}

fn weekly_keys() -> TableCreateStatement {
    Table::create()
        .table(Names::WeeklyKeys)
        .col(day(Names::Week).primary_key())
        .col(ColumnDef::new(Names::Secret).string_len(64).not_null())
        .to_owned()
}

fn secrets() -> TableCreateStatement {
    Table::create()
        .table(Names::Secrets)
        .col(
            ColumnDef::new(Names::Name)
                .string_len(32)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Names::Secret).string_len(64).not_null())
        .to_owned()
}

fn search_clicks() -> TableCreateStatement {
    Table::create()
        .table(Names::SearchClicks)
        .col(ColumnDef::new(Names::Id).string_len(36).not_null().primary_key())
        .col(ColumnDef::new(Names::SearchId).string_len(36).not_null())
        .col(ColumnDef::new(Names::ProgramId).string_len(36).not_null())
        .col(ColumnDef::new(Names::Rank).integer().not_null())
        .col(
            ColumnDef::new(Names::ClickedHour)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

fn search_volumes(table: Names, period: Names, hourly: bool) -> TableCreateStatement {
    let period_column = match hourly {
        true => ColumnDef::new(period)
            .timestamp_with_time_zone()
            .not_null()
            .to_owned(),
        false => day(period),
    };
    Table::create()
        .table(table)
        .col(period_column)
        .col(key(Names::Municipality, 6))
        .col(key(Names::Category, 32))
        .col(key(Names::AgeBand, 16))
        .col(count(Names::Searches))
        .col(count(Names::ZeroResults))
        .col(count(Names::Clicks))
        .col(count(Names::Searchers))
        .primary_key(
            Index::create()
                .col(period)
                .col(Names::Municipality)
                .col(Names::Category)
                .col(Names::AgeBand),
        )
        .to_owned()
}

fn question_volumes() -> TableCreateStatement {
    Table::create()
        .table(Names::QuestionDaily)
        .col(day(Names::Day))
        .col(key(Names::Category, 32))
        .col(key(Names::Municipality, 6))
        .col(key(Names::Region, 16))
        .col(key(Names::AgeBand, 16))
        .col(count(Names::Questions))
        .col(count(Names::WithoutProgram))
        .col(count(Names::Authors))
        .primary_key(
            Index::create()
                .col(Names::Day)
                .col(Names::Category)
                .col(Names::Municipality)
                .col(Names::Region)
                .col(Names::AgeBand),
        )
        .to_owned()
}

/// How many days a day's questions waited for their first answer (-1: none yet), so that "still
/// unanswered after N days" is a sum over roll-ups for any N.
fn question_answers() -> TableCreateStatement {
    Table::create()
        .table(Names::QuestionAnswers)
        .col(day(Names::Day))
        .col(key(Names::Category, 32))
        .col(ColumnDef::new(Names::AnsweredAfterDays).integer().not_null())
        .col(count(Names::Questions))
        .primary_key(
            Index::create()
                .col(Names::Day)
                .col(Names::Category)
                .col(Names::AnsweredAfterDays),
        )
        .to_owned()
}

/// Distinct searchers of each complete week, written once the week is over: what the open data
/// publishes, a household counting once per week.
fn weekly_searchers() -> TableCreateStatement {
    Table::create()
        .table(Names::SearchWeekly)
        .col(day(Names::Week).primary_key())
        .col(count(Names::Searchers))
        .to_owned()
}

fn weekly_terms() -> TableCreateStatement {
    Table::create()
        .table(Names::TermsWeekly)
        .col(day(Names::Week))
        .col(key(Names::Source, 16))
        .col(key(Names::Term, 200))
        .col(count(Names::Uses))
        .col(count(Names::People))
        .primary_key(
            Index::create()
                .col(Names::Week)
                .col(Names::Source)
                .col(Names::Term),
        )
        .to_owned()
}

fn weekly_queries() -> TableCreateStatement {
    Table::create()
        .table(Names::QueriesWeekly)
        .col(day(Names::Week))
        .col(key(Names::Query, 200))
        .col(count(Names::Searches))
        .col(count(Names::ZeroResults))
        .col(count(Names::Clicks))
        .col(count(Names::People))
        .primary_key(Index::create().col(Names::Week).col(Names::Query))
        .to_owned()
}

fn rollups() -> TableCreateStatement {
    Table::create()
        .table(Names::Rollups)
        .col(key(Names::Kind, 32))
        .col(key(Names::Period, 40))
        .col(
            ColumnDef::new(Names::DoneAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .primary_key(Index::create().col(Names::Kind).col(Names::Period))
        .to_owned()
}

#[derive(DeriveIden)]
enum SearchLog {
    Table,
    Searcher,
}

#[derive(DeriveIden, Clone, Copy)]
enum Names {
    #[sea_orm(iden = "insights_weekly_keys")]
    WeeklyKeys,
    #[sea_orm(iden = "insights_secrets")]
    Secrets,
    Name,
    #[sea_orm(iden = "search_clicks")]
    SearchClicks,
    #[sea_orm(iden = "insights_search_hourly")]
    SearchHourly,
    #[sea_orm(iden = "insights_search_daily")]
    SearchDaily,
    #[sea_orm(iden = "insights_search_weekly")]
    SearchWeekly,
    #[sea_orm(iden = "insights_question_daily")]
    QuestionDaily,
    #[sea_orm(iden = "insights_question_answers")]
    QuestionAnswers,
    #[sea_orm(iden = "insights_terms_weekly")]
    TermsWeekly,
    #[sea_orm(iden = "insights_queries_weekly")]
    QueriesWeekly,
    #[sea_orm(iden = "insights_rollups")]
    Rollups,
    Id,
    Day,
    Hour,
    Week,
    Secret,
    SearchId,
    ProgramId,
    Rank,
    ClickedHour,
    Municipality,
    Category,
    AgeBand,
    Region,
    Searches,
    ZeroResults,
    Clicks,
    Searchers,
    Questions,
    WithoutProgram,
    Authors,
    AnsweredAfterDays,
    Source,
    Term,
    Query,
    Uses,
    People,
    Kind,
    Period,
    DoneAt,
}
