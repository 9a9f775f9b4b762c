use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Which municipalities' weekly events notices were planned for which week (the week's Monday):
/// the row is written by the transaction that queues the notices, so a week is planned once
/// however many processes run the planner.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WeeklyEventNoticeRuns::Table)
                    .col(ColumnDef::new(WeeklyEventNoticeRuns::Week).date().not_null())
                    .col(
                        ColumnDef::new(WeeklyEventNoticeRuns::MunicipalityCode)
                            .string_len(6)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WeeklyEventNoticeRuns::PlannedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(WeeklyEventNoticeRuns::Week)
                            .col(WeeklyEventNoticeRuns::MunicipalityCode),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WeeklyEventNoticeRuns::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WeeklyEventNoticeRuns {
    Table,
    Week,
    MunicipalityCode,
    PlannedAt,
}
