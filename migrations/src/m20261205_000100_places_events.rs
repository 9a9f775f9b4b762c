use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Places to go with children and children's events (the `places` crate). What is filtered on is
/// a column (owner, kind, status, name and reading for sorting, an event's first and last date
/// and its place); the rest of the record (hours, facilities, schedule, audience, sign-up …) is
/// one JSON document, read and written whole. `updated_at, id` orders the change feed that
/// copies (search, partners) follow. An event's `last_date` is empty while it repeats without
/// end. Nothing is deleted: records are archived.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(places()).await?;
        manager.create_table(events()).await?;
        for statement in [
            "CREATE UNIQUE INDEX places_owner_name_key ON places (owner_code, name)",
            "CREATE INDEX places_status_owner_idx ON places (status, owner_code, id)",
            "CREATE INDEX places_updated_idx ON places (updated_at, id)",
            "CREATE INDEX events_status_owner_idx ON events (status, owner_code, first_date)",
            "CREATE INDEX events_updated_idx ON events (updated_at, id)",
            "CREATE INDEX events_place_idx ON events (place_id)",
        ] {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Places::Table).to_owned())
            .await
    }
}

fn places() -> TableCreateStatement {
    Table::create()
        .table(Places::Table)
        .col(ColumnDef::new(Places::Id).string_len(36).not_null().primary_key())
        .col(ColumnDef::new(Places::OwnerCode).string_len(8).not_null())
        .col(ColumnDef::new(Places::Kind).string_len(32).not_null())
        .col(ColumnDef::new(Places::Name).string_len(200).not_null())
        .col(ColumnDef::new(Places::Reading).string_len(200))
        .col(ColumnDef::new(Places::Content).json_binary().not_null())
        .col(ColumnDef::new(Places::Status).string_len(16).not_null())
        .col(ColumnDef::new(Places::Version).integer().not_null())
        .col(
            ColumnDef::new(Places::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Places::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Places::PublishedAt).timestamp_with_time_zone())
        .to_owned()
}

fn events() -> TableCreateStatement {
    Table::create()
        .table(Events::Table)
        .col(ColumnDef::new(Events::Id).string_len(36).not_null().primary_key())
        .col(ColumnDef::new(Events::OwnerCode).string_len(8).not_null())
        .col(ColumnDef::new(Events::Kind).string_len(32).not_null())
        .col(ColumnDef::new(Events::Title).string_len(200).not_null())
        .col(ColumnDef::new(Events::Reading).string_len(200))
        .col(ColumnDef::new(Events::PlaceId).string_len(36))
        .col(ColumnDef::new(Events::FirstDate).date().not_null())
        .col(ColumnDef::new(Events::LastDate).date())
        .col(ColumnDef::new(Events::Content).json_binary().not_null())
        .col(ColumnDef::new(Events::Status).string_len(16).not_null())
        .col(ColumnDef::new(Events::Version).integer().not_null())
        .col(
            ColumnDef::new(Events::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Events::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Events::PublishedAt).timestamp_with_time_zone())
        .foreign_key(
            ForeignKey::create()
                .from(Events::Table, Events::PlaceId)
                .to(Places::Table, Places::Id)
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Places {
    Table,
    Id,
    OwnerCode,
    Kind,
    Name,
    Reading,
    Content,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    OwnerCode,
    Kind,
    Title,
    Reading,
    PlaceId,
    FirstDate,
    LastDate,
    Content,
    Status,
    Version,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}
