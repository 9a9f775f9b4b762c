use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Which events a municipality's weekly notice has told this week (`told_event_ids`, a JSON
/// array of event ids), so that an event published after the week was planned is told in an
/// addendum, and nothing twice. Weeks planned before this column existed hold NULL: their
/// addenda would repeat the week's notice, so they have none.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WeeklyEventNoticeRuns::Table)
                    .add_column(ColumnDef::new(WeeklyEventNoticeRuns::ToldEventIds).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WeeklyEventNoticeRuns::Table)
                    .drop_column(WeeklyEventNoticeRuns::ToldEventIds)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum WeeklyEventNoticeRuns {
    Table,
    ToldEventIds,
}
