use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Second-person review of places and events, where an organisation turns it on
/// (`organisation_settings.review_before_publishing`, which programs already follow): at most
/// one open request per record (`subject` is `place` or `event`), for the version a clerk asked
/// about; publishing by a colleague other than the one who asked uses it up.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlaceEventReviewRequests::Table)
                    .col(
                        ColumnDef::new(PlaceEventReviewRequests::Subject)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PlaceEventReviewRequests::RecordId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PlaceEventReviewRequests::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PlaceEventReviewRequests::RequestedBy)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PlaceEventReviewRequests::RequestedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(PlaceEventReviewRequests::Subject)
                            .col(PlaceEventReviewRequests::RecordId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlaceEventReviewRequests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PlaceEventReviewRequests {
    Table,
    Subject,
    RecordId,
    Version,
    RequestedBy,
    RequestedAt,
}
