use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a staged file is to be imported as (`programs`, `places` or `events`), so that the places
/// and events import page stages its uploads like the programs page, and neither page reads the
/// other's file. Files staged before this column existed were all programs.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StagedImports::Table)
                    .add_column(
                        ColumnDef::new(StagedImports::Subject)
                            .text()
                            .not_null()
                            .default("programs"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(StagedImports::Table)
                    .drop_column(StagedImports::Subject)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum StagedImports {
    Table,
    Subject,
}
