use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Households linked to partner apps as a notice channel (issue 19). `partner_links` is the
/// per-app consent record: which household agreed, to which app, for which purpose (the scope,
/// `notices:deliver`), under which version of the consent text, when, and when the link ended and
/// by whom (the parent, or the partner revoking its link token). Its `subject` is the
/// pseudonymous id the app knows the household by, random per link. The link token is kept only
/// as its SHA-256. `partner_authorization_codes` holds the one-time codes of the
/// authorization-code flow, as SHA-256, with the PKCE challenge and the redirect URI they were
/// issued for. Ending a household ends both (foreign keys cascade).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(links()).await?;
        manager.create_table(codes()).await?;
        for statement in INDEXES {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PartnerAuthorizationCodes::Table.into_iden(),
            PartnerLinks::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// One live link per household and app; links are found by subject (the partner's side), by
/// token hash (revocation) and by household (the parent's pages).
const INDEXES: [&str; 4] = [
    "CREATE UNIQUE INDEX partner_links_live_idx ON partner_links (household_id, partner_id) \
     WHERE unlinked_at IS NULL",
    "CREATE UNIQUE INDEX partner_links_subject_idx ON partner_links (subject)",
    "CREATE UNIQUE INDEX partner_links_token_idx ON partner_links (token_hash)",
    "CREATE INDEX partner_links_partner_idx ON partner_links (partner_id)",
];

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn optional_timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn cascade(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn links() -> TableCreateStatement {
    Table::create()
        .table(PartnerLinks::Table)
        .col(text(PartnerLinks::Id).primary_key())
        .col(text(PartnerLinks::HouseholdId))
        .col(text(PartnerLinks::PartnerId))
        .col(text(PartnerLinks::Subject))
        .col(text(PartnerLinks::Purpose))
        .col(
            ColumnDef::new(PartnerLinks::ConsentTextVersion)
                .integer()
                .not_null(),
        )
        .col(ColumnDef::new(PartnerLinks::TokenHash).string().null())
        .col(timestamp(PartnerLinks::LinkedAt))
        .col(optional_timestamp(PartnerLinks::UnlinkedAt))
        .col(ColumnDef::new(PartnerLinks::UnlinkedBy).string().null())
        .foreign_key(&mut cascade(
            (PartnerLinks::Table, PartnerLinks::HouseholdId),
            (Households::Table, Households::Id),
        ))
        .foreign_key(&mut cascade(
            (PartnerLinks::Table, PartnerLinks::PartnerId),
            (Partners::Table, Partners::Id),
        ))
        .to_owned()
}

fn codes() -> TableCreateStatement {
    Table::create()
        .table(PartnerAuthorizationCodes::Table)
        .col(text(PartnerAuthorizationCodes::CodeHash).primary_key())
        .col(text(PartnerAuthorizationCodes::LinkId))
        .col(text(PartnerAuthorizationCodes::PartnerId))
        .col(text(PartnerAuthorizationCodes::RedirectUri))
        .col(text(PartnerAuthorizationCodes::CodeChallenge))
        .col(timestamp(PartnerAuthorizationCodes::ExpiresAt))
        .col(optional_timestamp(PartnerAuthorizationCodes::UsedAt))
        .foreign_key(&mut cascade(
            (
                PartnerAuthorizationCodes::Table,
                PartnerAuthorizationCodes::LinkId,
            ),
            (PartnerLinks::Table, PartnerLinks::Id),
        ))
        .to_owned()
}

#[derive(DeriveIden)]
enum PartnerLinks {
    Table,
    Id,
    HouseholdId,
    PartnerId,
    Subject,
    Purpose,
    ConsentTextVersion,
    TokenHash,
    LinkedAt,
    UnlinkedAt,
    UnlinkedBy,
}

#[derive(DeriveIden)]
enum PartnerAuthorizationCodes {
    Table,
    CodeHash,
    LinkId,
    PartnerId,
    RedirectUri,
    CodeChallenge,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Households {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}
