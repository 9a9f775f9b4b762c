use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(programs_table()).await?;
        for index in [
            Index::create()
                .name("programs_owner_name_key")
                .table(Programs::Table)
                .col(Programs::OwnerCode)
                .col(Programs::Name)
                .unique()
                .to_owned(),
            Index::create()
                .name("programs_status_idx")
                .table(Programs::Table)
                .col(Programs::Status)
                .col(Programs::Id)
                .to_owned(),
        ] {
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ProgramCategories::Table)
                    .col(
                        ColumnDef::new(ProgramCategories::ProgramId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProgramCategories::Category)
                            .string_len(32)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ProgramCategories::ProgramId)
                            .col(ProgramCategories::Category),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProgramCategories::Table, ProgramCategories::ProgramId)
                            .to(Programs::Table, Programs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("program_categories_category_idx")
                    .table(ProgramCategories::Table)
                    .col(ProgramCategories::Category)
                    .col(ProgramCategories::ProgramId)
                    .to_owned(),
            )
            .await?;
        manager.create_table(program_versions_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProgramVersions::Table.into_iden(),
            ProgramCategories::Table.into_iden(),
            Programs::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// The current state of each program. Lists and documents are JSON because they are read and
/// written whole; the fields that are filtered on are real columns, and categories are mirrored
/// into `program_categories` so that a category filter is an index lookup.
fn programs_table() -> TableCreateStatement {
    Table::create()
        .table(Programs::Table)
        .col(
            ColumnDef::new(Programs::Id)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Programs::OwnerCode).string_len(8).not_null())
        .col(ColumnDef::new(Programs::Name).string_len(200).not_null())
        .col(ColumnDef::new(Programs::ShortName).string_len(100))
        .col(ColumnDef::new(Programs::Categories).json_binary().not_null())
        .col(ColumnDef::new(Programs::Summary).text().not_null())
        .col(ColumnDef::new(Programs::Description).text())
        .col(ColumnDef::new(Programs::EligibilitySummary).text())
        .col(ColumnDef::new(Programs::Eligibility).json_binary().not_null())
        .col(ColumnDef::new(Programs::BenefitText).text())
        .col(ColumnDef::new(Programs::BenefitAmountYen).big_integer())
        .col(
            ColumnDef::new(Programs::ApplicationWindow)
                .json_binary()
                .not_null(),
        )
        .col(
            ColumnDef::new(Programs::ApplicationMethods)
                .json_binary()
                .not_null(),
        )
        .col(ColumnDef::new(Programs::Documents).json_binary().not_null())
        .col(ColumnDef::new(Programs::Contact).json_binary().not_null())
        .col(ColumnDef::new(Programs::SourceUrl).text())
        .col(ColumnDef::new(Programs::Status).string_len(16).not_null())
        .col(ColumnDef::new(Programs::LastReviewedOn).date())
        .col(ColumnDef::new(Programs::Version).integer().not_null())
        .col(
            ColumnDef::new(Programs::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Programs::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Programs::PublishedAt).timestamp_with_time_zone())
        .col(ColumnDef::new(Programs::ArchivedAt).timestamp_with_time_zone())
        .to_owned()
}

/// Every version of every program, append-only: who did what, when, and the full snapshot.
fn program_versions_table() -> TableCreateStatement {
    Table::create()
        .table(ProgramVersions::Table)
        .col(
            ColumnDef::new(ProgramVersions::ProgramId)
                .string_len(36)
                .not_null(),
        )
        .col(ColumnDef::new(ProgramVersions::Version).integer().not_null())
        .col(ColumnDef::new(ProgramVersions::Action).string_len(16).not_null())
        .col(ColumnDef::new(ProgramVersions::Actor).string_len(200).not_null())
        .col(ColumnDef::new(ProgramVersions::Changes).json_binary().not_null())
        .col(ColumnDef::new(ProgramVersions::Snapshot).json_binary().not_null())
        .col(
            ColumnDef::new(ProgramVersions::RecordedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .primary_key(
            Index::create()
                .col(ProgramVersions::ProgramId)
                .col(ProgramVersions::Version),
        )
        .foreign_key(
            ForeignKey::create()
                .from(ProgramVersions::Table, ProgramVersions::ProgramId)
                .to(Programs::Table, Programs::Id)
                .on_delete(ForeignKeyAction::Restrict),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    Id,
    OwnerCode,
    Name,
    ShortName,
    Categories,
    Summary,
    Description,
    EligibilitySummary,
    Eligibility,
    BenefitText,
    BenefitAmountYen,
    ApplicationWindow,
    ApplicationMethods,
    Documents,
    Contact,
    SourceUrl,
    Status,
    LastReviewedOn,
    Version,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum ProgramCategories {
    Table,
    ProgramId,
    Category,
}

#[derive(DeriveIden)]
enum ProgramVersions {
    Table,
    ProgramId,
    Version,
    Action,
    Actor,
    Changes,
    Snapshot,
    RecordedAt,
}
