use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each program's own licence as open data (`programs.license`, a URL). Every program published
/// before had CC BY 4.0, so that is what the existing rows and a program without one carry.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .add_column(
                        ColumnDef::new(Programs::License)
                            .text()
                            .not_null()
                            .default("https://creativecommons.org/licenses/by/4.0/"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .drop_column(Programs::License)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    License,
}
