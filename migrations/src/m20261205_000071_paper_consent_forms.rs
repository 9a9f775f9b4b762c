use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A consent given on paper at a municipal counter names the signed form it was given on: the
/// form's number and the date the resident signed it, so that the paper and the ledger can be
/// matched when the resident asks, or an auditor does. Both stay empty for consents given online.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .add_column(ColumnDef::new(Consents::PaperFormNumber).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .add_column(ColumnDef::new(Consents::PaperFormSignedOn).date().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Consents::PaperFormNumber, Consents::PaperFormSignedOn] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Consents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    PaperFormNumber,
    PaperFormSignedOn,
}
