use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Second-person review before publication, per organisation: `organisation_settings` holds
/// whether an organisation (a municipality or the prefecture, by code) wants a colleague to
/// check a program before it is published, and `program_review_requests` the one open request
/// per program (the version asked about and who asked), gone with the program (cascade).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrganisationSettings::Table)
                    .col(
                        ColumnDef::new(OrganisationSettings::OrganisationCode)
                            .string_len(6)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSettings::ReviewBeforePublishing)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(OrganisationSettings::UpdatedBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationSettings::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProgramReviewRequests::Table)
                    .col(
                        ColumnDef::new(ProgramReviewRequests::ProgramId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ProgramReviewRequests::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProgramReviewRequests::RequestedBy)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProgramReviewRequests::RequestedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProgramReviewRequests::Table, ProgramReviewRequests::ProgramId)
                            .to(Programs::Table, Programs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProgramReviewRequests::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OrganisationSettings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OrganisationSettings {
    Table,
    OrganisationCode,
    ReviewBeforePublishing,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProgramReviewRequests {
    Table,
    ProgramId,
    Version,
    RequestedBy,
    RequestedAt,
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    Id,
}
