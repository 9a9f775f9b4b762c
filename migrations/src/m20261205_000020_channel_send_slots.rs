use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each channel's rate limit, shared by every worker process: `next_slot_micros` is the first
/// moment (microseconds since the Unix epoch) not yet handed out as a send slot. A worker
/// reserves slots by moving it forward in one statement, so two processes never get the same
/// slot, however many there are. A row is created on a channel's first reservation.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChannelSendSlots::Table)
                    .col(
                        ColumnDef::new(ChannelSendSlots::ChannelKind)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ChannelSendSlots::NextSlotMicros)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChannelSendSlots::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ChannelSendSlots {
    Table,
    ChannelKind,
    NextSlotMicros,
}
