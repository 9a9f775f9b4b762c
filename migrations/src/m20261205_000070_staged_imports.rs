use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A file uploaded on the staff import page, kept between its dry run and its apply so that any
/// server process can apply it without a second upload. It belongs to the staff member and
/// organisation that uploaded it, is deleted when applied, and expires an hour after upload.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StagedImports::Table)
                    .col(
                        ColumnDef::new(StagedImports::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(StagedImports::StaffName).string().not_null())
                    .col(
                        ColumnDef::new(StagedImports::Organisation)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(StagedImports::FileName).string().not_null())
                    .col(ColumnDef::new(StagedImports::Format).string_len(16).not_null())
                    .col(ColumnDef::new(StagedImports::Content).blob().not_null())
                    .col(ColumnDef::new(StagedImports::Sha256).string_len(64).not_null())
                    .col(ColumnDef::new(StagedImports::CheckedPlan).string_len(64).null())
                    .col(
                        ColumnDef::new(StagedImports::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StagedImports::ExpiresAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("staged_imports_expires_at")
                    .table(StagedImports::Table)
                    .col(StagedImports::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StagedImports::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StagedImports {
    Table,
    Id,
    StaffName,
    Organisation,
    FileName,
    Format,
    Content,
    Sha256,
    CheckedPlan,
    CreatedAt,
    ExpiresAt,
}
