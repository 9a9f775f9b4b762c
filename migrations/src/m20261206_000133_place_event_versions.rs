use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every version of every place and event (`place_event_versions`): what was done (created, updated,
/// published, archived, from the editor or a file), by whom, when, and the record's status and
/// content after it, so that the editors show a history and compare any two versions as the
/// program editor does. `subject` is `place` or `event`; a version is written in the transaction
/// that changes the record, so history and the record never disagree. Records that existed before
/// this table get their current version, `recorded`, with no actor: what came before was not kept.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(place_event_versions()).await?;
        let connection = manager.get_connection();
        for (subject, table) in [("place", "places"), ("event", "events")] {
            connection
                .execute_unprepared(&format!(
                    "INSERT INTO place_event_versions \
                     (subject, record_id, version, action, actor, status, content, recorded_at) \
                     SELECT '{subject}', id, version, 'recorded', '', status, content, updated_at \
                     FROM {table}"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlaceEventVersions::Table).to_owned())
            .await
    }
}

fn place_event_versions() -> TableCreateStatement {
    Table::create()
        .table(PlaceEventVersions::Table)
        .col(
            ColumnDef::new(PlaceEventVersions::Subject)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(PlaceEventVersions::RecordId)
                .string_len(36)
                .not_null(),
        )
        .col(ColumnDef::new(PlaceEventVersions::Version).integer().not_null())
        .col(
            ColumnDef::new(PlaceEventVersions::Action)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(PlaceEventVersions::Actor)
                .string_len(200)
                .not_null(),
        )
        .col(
            ColumnDef::new(PlaceEventVersions::Status)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(PlaceEventVersions::Content)
                .json_binary()
                .not_null(),
        )
        .col(
            ColumnDef::new(PlaceEventVersions::RecordedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .primary_key(
            Index::create()
                .col(PlaceEventVersions::Subject)
                .col(PlaceEventVersions::RecordId)
                .col(PlaceEventVersions::Version),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum PlaceEventVersions {
    Table,
    Subject,
    RecordId,
    Version,
    Action,
    Actor,
    Status,
    Content,
    RecordedAt,
}
