use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When an answer's notice to the asker was planned (in the same transaction as its outbox rows,
/// or when there was nothing to send). Empty means still to plan: a background sweep plans what
/// the request path could not, so a notice is never lost. Answers posted before this column were
/// planned when they were posted: they count as planned then.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CommunityAnswers::Table)
                    .add_column(
                        ColumnDef::new(CommunityAnswers::NoticePlannedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        let connection = manager.get_connection();
        connection
            .execute_unprepared("UPDATE community_answers SET notice_planned_at = created_at")
            .await?;
        // The sweep reads only the unplanned answers, oldest first.
        connection
            .execute_unprepared(
                "CREATE INDEX community_answers_unplanned_idx ON community_answers (created_at) \
                 WHERE notice_planned_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX community_answers_unplanned_idx")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CommunityAnswers::Table)
                    .drop_column(CommunityAnswers::NoticePlannedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CommunityAnswers {
    Table,
    NoticePlannedAt,
}
