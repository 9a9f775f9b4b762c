use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every program may name its 制度類型 (the registry's catalogue key), so that the same program
/// can be grouped across municipalities and a municipality's missing types found. Nullable: a
/// program entered before the catalogue, or one that fits no type, has none. Indexed because
/// lists and the prefecture's gap report filter and group on it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .add_column(ColumnDef::new(Programs::ProgramType).string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_programs_program_type")
                    .table(Programs::Table)
                    .col(Programs::ProgramType)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_programs_program_type")
                    .table(Programs::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .drop_column(Programs::ProgramType)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    ProgramType,
}
