use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Consent comes before any personal data: a parent who has signed in but not yet entered a
/// household agrees here first. The row holds no personal data (an account, a purpose, the
/// version of the text and when); it becomes the household's consent, with the same time, in the
/// transaction that registers the household, and goes with the account.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountConsents::Table)
                    .col(ColumnDef::new(AccountConsents::AccountId).string().not_null())
                    .col(ColumnDef::new(AccountConsents::Purpose).string().not_null())
                    .col(ColumnDef::new(AccountConsents::TextVersion).integer().not_null())
                    .col(
                        ColumnDef::new(AccountConsents::GrantedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(AccountConsents::AccountId)
                            .col(AccountConsents::Purpose),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountConsents::Table, AccountConsents::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountConsents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AccountConsents {
    Table,
    AccountId,
    Purpose,
    TextVersion,
    GrantedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}
