use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Municipalities::Table)
                    .col(
                        ColumnDef::new(Municipalities::Code)
                            .string_len(6)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Municipalities::Name).string_len(64).not_null())
                    .col(ColumnDef::new(Municipalities::Kana).string_len(128).not_null())
                    .col(ColumnDef::new(Municipalities::District).string_len(64))
                    .col(ColumnDef::new(Municipalities::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Municipalities::Region).string_len(16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Municipalities::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Municipalities {
    Table,
    Code,
    Name,
    Kana,
    District,
    Kind,
    Region,
}
