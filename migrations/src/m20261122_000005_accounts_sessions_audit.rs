use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sign-in and accountability: parents' accounts at their OpenID Providers, server-side sessions
/// and pending sign-ins, contact channels and preferences of households, where a household was
/// registered (online or at a counter), the append-only audit log, and the anonymous counts that
/// outlive deleted households.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            accounts_table(),
            sessions_table(),
            login_requests_table(),
            contact_channels_table(),
            audit_log_table(),
            anonymous_counts_table(),
        ] {
            manager.create_table(table).await?;
        }
        for column in [
            ColumnDef::new(Households::Nicknames)
                .json_binary()
                .null()
                .to_owned(),
            ColumnDef::new(Households::Preferences)
                .json_binary()
                .null()
                .to_owned(),
            ColumnDef::new(Households::RegisteredBy)
                .string_len(255)
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Households::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        make_audit_log_append_only(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AnonymousCounts::Table.into_iden(),
            AuditLog::Table.into_iden(),
            ContactChannels::Table.into_iden(),
            LoginRequests::Table.into_iden(),
            Sessions::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in [
            Households::Nicknames,
            Households::Preferences,
            Households::RegisteredBy,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Households::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .string_len(36)
        .not_null()
        .primary_key()
        .to_owned()
}

fn accounts_table() -> TableCreateStatement {
    Table::create()
        .table(Accounts::Table)
        .col(id(Accounts::Id))
        .col(ColumnDef::new(Accounts::Provider).string_len(64).not_null())
        // The provider's `sub`: personal data, deleted with the household.
        .col(ColumnDef::new(Accounts::Subject).string_len(255).not_null())
        .col(ColumnDef::new(Accounts::HouseholdId).string_len(36).null())
        .col(timestamp(Accounts::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(Accounts::Table, Accounts::HouseholdId)
                .to(Households::Table, Households::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn sessions_table() -> TableCreateStatement {
    Table::create()
        .table(Sessions::Table)
        // SHA-256 of the cookie value: a database dump does not hand out live sessions.
        .col(
            ColumnDef::new(Sessions::IdHash)
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Sessions::Kind).string_len(8).not_null())
        .col(ColumnDef::new(Sessions::Provider).string_len(64).not_null())
        .col(ColumnDef::new(Sessions::AccountId).string_len(36).null())
        .col(ColumnDef::new(Sessions::StaffName).string_len(255).null())
        .col(ColumnDef::new(Sessions::StaffRole).string_len(16).null())
        .col(ColumnDef::new(Sessions::StaffMunicipality).string_len(6).null())
        .col(ColumnDef::new(Sessions::CsrfToken).string_len(64).not_null())
        .col(timestamp(Sessions::CreatedAt))
        .col(timestamp(Sessions::ExpiresAt))
        .foreign_key(
            ForeignKey::create()
                .from(Sessions::Table, Sessions::AccountId)
                .to(Accounts::Table, Accounts::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn login_requests_table() -> TableCreateStatement {
    Table::create()
        .table(LoginRequests::Table)
        .col(
            ColumnDef::new(LoginRequests::StateHash)
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(LoginRequests::Provider).string_len(64).not_null())
        .col(ColumnDef::new(LoginRequests::Nonce).string_len(128).not_null())
        .col(
            ColumnDef::new(LoginRequests::PkceVerifier)
                .string_len(128)
                .not_null(),
        )
        .col(ColumnDef::new(LoginRequests::ReturnTo).string_len(512).not_null())
        .col(timestamp(LoginRequests::ExpiresAt))
        .to_owned()
}

fn contact_channels_table() -> TableCreateStatement {
    Table::create()
        .table(ContactChannels::Table)
        .col(id(ContactChannels::Id))
        .col(
            ColumnDef::new(ContactChannels::HouseholdId)
                .string_len(36)
                .not_null(),
        )
        .col(ColumnDef::new(ContactChannels::Kind).string_len(16).not_null())
        // An email address, a LINE user id, or a Web Push endpoint URL.
        .col(
            ColumnDef::new(ContactChannels::Address)
                .string_len(2048)
                .not_null(),
        )
        // Web Push: the subscription's p256dh and auth keys.
        .col(ColumnDef::new(ContactChannels::Keys).json_binary().null())
        .col(ColumnDef::new(ContactChannels::OptedIn).boolean().not_null())
        .col(
            ColumnDef::new(ContactChannels::VerifiedAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(
            ColumnDef::new(ContactChannels::VerificationHash)
                .string_len(64)
                .null(),
        )
        .col(
            ColumnDef::new(ContactChannels::VerificationExpiresAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(
            ColumnDef::new(ContactChannels::DisabledReason)
                .string_len(64)
                .null(),
        )
        .col(timestamp(ContactChannels::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(ContactChannels::Table, ContactChannels::HouseholdId)
                .to(Households::Table, Households::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn audit_log_table() -> TableCreateStatement {
    Table::create()
        .table(AuditLog::Table)
        // UUIDv7: ids order entries by time.
        .col(id(AuditLog::Id))
        .col(timestamp(AuditLog::OccurredAt))
        .col(ColumnDef::new(AuditLog::ActorKind).string_len(16).not_null())
        .col(ColumnDef::new(AuditLog::Actor).string_len(255).not_null())
        .col(ColumnDef::new(AuditLog::ActorRole).string_len(16).null())
        .col(ColumnDef::new(AuditLog::ActorMunicipality).string_len(6).null())
        .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
        .col(ColumnDef::new(AuditLog::Target).string_len(255).null())
        // The organisation whose data the action touched, so that each sees its own entries.
        .col(ColumnDef::new(AuditLog::MunicipalityCode).string_len(6).null())
        .col(ColumnDef::new(AuditLog::Outcome).string_len(16).not_null())
        .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
        .to_owned()
}

fn anonymous_counts_table() -> TableCreateStatement {
    Table::create()
        .table(AnonymousCounts::Table)
        .col(
            ColumnDef::new(AnonymousCounts::MunicipalityCode)
                .string_len(6)
                .not_null(),
        )
        .col(ColumnDef::new(AnonymousCounts::Metric).string_len(32).not_null())
        // A calendar month, "2026-11": finer periods could single out a household.
        .col(ColumnDef::new(AnonymousCounts::Period).string_len(7).not_null())
        .col(ColumnDef::new(AnonymousCounts::Count).big_integer().not_null())
        .primary_key(
            Index::create()
                .col(AnonymousCounts::MunicipalityCode)
                .col(AnonymousCounts::Metric)
                .col(AnonymousCounts::Period),
        )
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("accounts_provider_subject_key")
            .table(Accounts::Table)
            .col(Accounts::Provider)
            .col(Accounts::Subject)
            .unique()
            .to_owned(),
        Index::create()
            .name("accounts_household_idx")
            .table(Accounts::Table)
            .col(Accounts::HouseholdId)
            .to_owned(),
        Index::create()
            .name("sessions_expires_idx")
            .table(Sessions::Table)
            .col(Sessions::ExpiresAt)
            .to_owned(),
        Index::create()
            .name("sessions_account_idx")
            .table(Sessions::Table)
            .col(Sessions::AccountId)
            .to_owned(),
        Index::create()
            .name("login_requests_expires_idx")
            .table(LoginRequests::Table)
            .col(LoginRequests::ExpiresAt)
            .to_owned(),
        Index::create()
            .name("contact_channels_household_key")
            .table(ContactChannels::Table)
            .col(ContactChannels::HouseholdId)
            .col(ContactChannels::Kind)
            .col(ContactChannels::Address)
            .unique()
            .to_owned(),
        Index::create()
            .name("contact_channels_verification_idx")
            .table(ContactChannels::Table)
            .col(ContactChannels::VerificationHash)
            .to_owned(),
        Index::create()
            .name("audit_log_municipality_idx")
            .table(AuditLog::Table)
            .col(AuditLog::MunicipalityCode)
            .col(AuditLog::Id)
            .to_owned(),
    ]
}

/// Updates and deletes of audit entries fail in the database itself, whoever connects.
async fn make_audit_log_append_only(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let statements: &[&str] = match db.get_database_backend() {
        DatabaseBackend::Postgres => &[
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        ],
        _ => &[
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        ],
    };
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Households {
    Table,
    Id,
    Nicknames,
    Preferences,
    RegisteredBy,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Provider,
    Subject,
    HouseholdId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    Kind,
    Provider,
    AccountId,
    StaffName,
    StaffRole,
    StaffMunicipality,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginRequests {
    Table,
    StateHash,
    Provider,
    Nonce,
    PkceVerifier,
    ReturnTo,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ContactChannels {
    Table,
    Id,
    HouseholdId,
    Kind,
    Address,
    Keys,
    OptedIn,
    VerifiedAt,
    VerificationHash,
    VerificationExpiresAt,
    DisabledReason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    OccurredAt,
    ActorKind,
    Actor,
    ActorRole,
    ActorMunicipality,
    Action,
    Target,
    MunicipalityCode,
    Outcome,
    RequestId,
}

#[derive(DeriveIden)]
enum AnonymousCounts {
    Table,
    MunicipalityCode,
    Metric,
    Period,
    Count,
}
