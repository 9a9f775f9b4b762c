use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Registered partner apps (issue 19): who they are, their OAuth 2.0 client credentials (the
/// client secret only as a salted SHA-256, shown once at registration), the scopes they may ask
/// for, where the authorization-code linking may send a household back and where notices go, the
/// Standard Webhooks signing secret (kept, since we sign with it; the one before a rotation stays
/// valid until `previous_signing_secret_until`), and a rate limit. Access tokens are kept only as
/// the SHA-256 of the token. `partner_rate_limits` holds each partner's theoretical arrival time
/// (GCRA) in microseconds of the database's clock, shared by every server process.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [partners(), access_tokens(), rate_limits()] {
            manager.create_table(table).await?;
        }
        for statement in INDEXES {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PartnerRateLimits::Table.into_iden(),
            PartnerAccessTokens::Table.into_iden(),
            Partners::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// Clients authenticate by `client_id`; the token endpoint and the bearer check find tokens by
/// hash (the primary key); revoking a partner revokes its tokens.
const INDEXES: [&str; 2] = [
    "CREATE UNIQUE INDEX partners_client_id_idx ON partners (client_id)",
    "CREATE INDEX partner_access_tokens_partner_idx ON partner_access_tokens (partner_id)",
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

fn partners() -> TableCreateStatement {
    Table::create()
        .table(Partners::Table)
        .col(text(Partners::Id).primary_key())
        .col(text(Partners::Name))
        .col(text(Partners::ContactEmail))
        .col(text(Partners::ClientId))
        .col(text(Partners::ClientSecretSalt))
        .col(text(Partners::ClientSecretHash))
        .col(text(Partners::Scopes))
        .col(ColumnDef::new(Partners::RedirectUris).json().not_null())
        .col(ColumnDef::new(Partners::NoticeWebhookUrl).string().null())
        .col(text(Partners::SigningSecret))
        .col(ColumnDef::new(Partners::PreviousSigningSecret).string().null())
        .col(optional_timestamp(Partners::PreviousSigningSecretUntil))
        .col(ColumnDef::new(Partners::RateLimitPerMinute).integer().not_null())
        .col(timestamp(Partners::CreatedAt))
        .col(optional_timestamp(Partners::RevokedAt))
        .to_owned()
}

fn access_tokens() -> TableCreateStatement {
    Table::create()
        .table(PartnerAccessTokens::Table)
        .col(text(PartnerAccessTokens::TokenHash).primary_key())
        .col(text(PartnerAccessTokens::PartnerId))
        .col(text(PartnerAccessTokens::Scopes))
        .col(timestamp(PartnerAccessTokens::IssuedAt))
        .col(timestamp(PartnerAccessTokens::ExpiresAt))
        .col(optional_timestamp(PartnerAccessTokens::RevokedAt))
        .foreign_key(
            ForeignKey::create()
                .from(PartnerAccessTokens::Table, PartnerAccessTokens::PartnerId)
                .to(Partners::Table, Partners::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn rate_limits() -> TableCreateStatement {
    Table::create()
        .table(PartnerRateLimits::Table)
        .col(text(PartnerRateLimits::PartnerId).primary_key())
        .col(
            ColumnDef::new(PartnerRateLimits::ArrivalMicros)
                .big_integer()
                .not_null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(PartnerRateLimits::Table, PartnerRateLimits::PartnerId)
                .to(Partners::Table, Partners::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
    Name,
    ContactEmail,
    ClientId,
    ClientSecretSalt,
    ClientSecretHash,
    Scopes,
    RedirectUris,
    NoticeWebhookUrl,
    SigningSecret,
    PreviousSigningSecret,
    PreviousSigningSecretUntil,
    RateLimitPerMinute,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum PartnerAccessTokens {
    Table,
    TokenHash,
    PartnerId,
    Scopes,
    IssuedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum PartnerRateLimits {
    Table,
    PartnerId,
    ArrivalMicros,
}
