use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The events a household said it will go to (「行く」), for its `.ics` feed and its own page:
/// kept under its consent to matching, gone with the household (cascade) and with the event.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventAttendance::Table)
                    .col(
                        ColumnDef::new(EventAttendance::HouseholdId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(ColumnDef::new(EventAttendance::EventId).string_len(36).not_null())
                    .col(
                        ColumnDef::new(EventAttendance::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(EventAttendance::HouseholdId)
                            .col(EventAttendance::EventId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventAttendance::Table, EventAttendance::HouseholdId)
                            .to(Households::Table, Households::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventAttendance::Table, EventAttendance::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventAttendance::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum EventAttendance {
    Table,
    HouseholdId,
    EventId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Households {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}
