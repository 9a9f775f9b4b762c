use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What program search needs from the database: an index to read the registry's changes in order
/// (each server keeps its own search index and follows them), and the search log that prefecture
/// staff analyse. The log holds no user, address or cookie, and only the hour of a search.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("programs_updated_at_idx")
                    .table(Programs::Table)
                    .col(Programs::UpdatedAt)
                    .col(Programs::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchLog::Table)
                    .col(
                        ColumnDef::new(SearchLog::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SearchLog::SearchedHour)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SearchLog::Query).text())
                    .col(ColumnDef::new(SearchLog::Municipality).string_len(6))
                    .col(ColumnDef::new(SearchLog::Filters).json_binary().not_null())
                    .col(ColumnDef::new(SearchLog::ResultCount).integer().not_null())
                    .col(ColumnDef::new(SearchLog::Mode).string_len(16).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("search_log_hour_idx")
                    .table(SearchLog::Table)
                    .col(SearchLog::SearchedHour)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SearchLog::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("programs_updated_at_idx")
                    .table(Programs::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    Id,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SearchLog {
    Table,
    Id,
    SearchedHour,
    Query,
    Municipality,
    Filters,
    ResultCount,
    Mode,
}
