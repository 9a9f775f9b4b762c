use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A change event the planner found no deliverable channel for (the parent consented to matching
/// before verifying an address, say) waits instead of being dropped: `waiting_since` marks it,
/// and any change to the household's consents or channels puts it back in the planner's queue.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MatchEvents::Table)
                    .add_column(ColumnDef::new(MatchEvents::WaitingSince).timestamp_with_time_zone())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MatchEvents::Table)
                    .drop_column(MatchEvents::WaitingSince)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum MatchEvents {
    Table,
    WaitingSince,
}
