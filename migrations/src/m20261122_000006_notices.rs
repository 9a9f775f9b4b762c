use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The notifier's durable outbox (`notices`) with its attempt log, the actions parents take from
/// a notice (`program_dismissals`), which match events have become notices (`planned_at`), the
/// version of a program that last changed what a parent is told (`material_version`), and the
/// service's own generated secrets, shared by every process through the database.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            notices_table(),
            notice_attempts_table(),
            dismissals_table(),
            secrets_table(),
        ] {
            manager.create_table(table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .add_column(
                        ColumnDef::new(Programs::MaterialVersion)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MatchEvents::Table)
                    .add_column(
                        ColumnDef::new(MatchEvents::PlannedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notice_attempts_notice_idx")
                    .table(NoticeAttempts::Table)
                    .col(NoticeAttempts::NoticeId)
                    .to_owned(),
            )
            .await?;
        // Partial indexes read the same on SQLite and PostgreSQL. Each stays small: only the rows
        // still waiting are in it.
        for statement in [
            // One notice per event and channel: a repeated or concurrent planning inserts nothing.
            "CREATE UNIQUE INDEX notices_idempotency_key ON notices (event_id, channel_id) \
             WHERE event_id IS NOT NULL",
            // One open digest per channel and morning.
            "CREATE UNIQUE INDEX notices_digest_key ON notices (channel_id, digest_on) \
             WHERE digest_on IS NOT NULL",
            "CREATE INDEX notices_due_idx ON notices (not_before) \
             WHERE status IN ('queued', 'retrying', 'sending') AND digest_id IS NULL",
            "CREATE INDEX notices_digest_members_idx ON notices (digest_id) WHERE digest_id IS NOT NULL",
            "CREATE INDEX notices_household_idx ON notices (household_id, program_id)",
            "CREATE INDEX notices_channel_idx ON notices (channel_id, status)",
            "CREATE INDEX match_events_unplanned_idx ON match_events (id) WHERE planned_at IS NULL",
        ] {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ServiceSecrets::Table.into_iden(),
            ProgramDismissals::Table.into_iden(),
            NoticeAttempts::Table.into_iden(),
            Notices::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX match_events_unplanned_idx")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MatchEvents::Table)
                    .drop_column(MatchEvents::PlannedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .drop_column(Programs::MaterialVersion)
                    .to_owned(),
            )
            .await
    }
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn nullable_timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn uuid_column(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string_len(36).not_null().to_owned()
}

fn cascade_to_household(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Households::Table, Households::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// The outbox. A row is one message to one channel: a notice about one event, a digest of the
/// day's notices (its members point at it with `digest_id`), or a notice about the household's
/// channels. The address and the content are copied in when planned, so that delivery needs no
/// other table; both go with the household (cascade).
fn notices_table() -> TableCreateStatement {
    Table::create()
        .table(Notices::Table)
        .col(uuid_column(Notices::Id).primary_key().to_owned())
        .col(uuid_column(Notices::HouseholdId))
        .col(uuid_column(Notices::ChannelId))
        .col(ColumnDef::new(Notices::ChannelKind).string_len(16).not_null())
        .col(ColumnDef::new(Notices::Kind).string_len(32).not_null())
        .col(ColumnDef::new(Notices::EventId).string_len(36).null())
        .col(ColumnDef::new(Notices::ProgramId).string_len(36).null())
        .col(ColumnDef::new(Notices::DigestId).string_len(36).null())
        .col(ColumnDef::new(Notices::DigestOn).date().null())
        .col(ColumnDef::new(Notices::Address).json_binary().not_null())
        .col(ColumnDef::new(Notices::Content).json_binary().not_null())
        // Minutes after midnight in Asia/Tokyo; a retry never lands inside the quiet hours either.
        .col(ColumnDef::new(Notices::QuietFrom).small_integer().null())
        .col(ColumnDef::new(Notices::QuietUntil).small_integer().null())
        .col(ColumnDef::new(Notices::Status).string_len(16).not_null())
        .col(ColumnDef::new(Notices::Attempts).integer().not_null().default(0))
        .col(timestamp(Notices::NotBefore))
        .col(nullable_timestamp(Notices::LeaseUntil))
        .col(ColumnDef::new(Notices::LastError).string_len(512).null())
        .col(timestamp(Notices::CreatedAt))
        .col(timestamp(Notices::UpdatedAt))
        .col(nullable_timestamp(Notices::SentAt))
        .foreign_key(&mut cascade_to_household(Notices::Table, Notices::HouseholdId))
        .foreign_key(
            ForeignKey::create()
                .from(Notices::Table, Notices::ChannelId)
                .to(ContactChannels::Table, ContactChannels::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// Every delivery attempt with its outcome, so that backoff and provider answers are visible.
fn notice_attempts_table() -> TableCreateStatement {
    Table::create()
        .table(NoticeAttempts::Table)
        .col(uuid_column(NoticeAttempts::NoticeId))
        .col(ColumnDef::new(NoticeAttempts::Attempt).integer().not_null())
        .col(timestamp(NoticeAttempts::StartedAt))
        .col(timestamp(NoticeAttempts::FinishedAt))
        // sent, repeat (the provider had it already), retry, gone, rejected.
        .col(ColumnDef::new(NoticeAttempts::Outcome).string_len(16).not_null())
        .col(ColumnDef::new(NoticeAttempts::ProviderId).string_len(255).null())
        .col(ColumnDef::new(NoticeAttempts::Error).string_len(512).null())
        .primary_key(
            Index::create()
                .col(NoticeAttempts::NoticeId)
                .col(NoticeAttempts::Attempt),
        )
        .foreign_key(
            ForeignKey::create()
                .from(NoticeAttempts::Table, NoticeAttempts::NoticeId)
                .to(Notices::Table, Notices::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// "Applied already" and "not interested": no more reminders about that program.
fn dismissals_table() -> TableCreateStatement {
    Table::create()
        .table(ProgramDismissals::Table)
        .col(uuid_column(ProgramDismissals::HouseholdId))
        .col(uuid_column(ProgramDismissals::ProgramId))
        .col(
            ColumnDef::new(ProgramDismissals::Reason)
                .string_len(16)
                .not_null(),
        )
        .col(timestamp(ProgramDismissals::CreatedAt))
        .primary_key(
            Index::create()
                .col(ProgramDismissals::HouseholdId)
                .col(ProgramDismissals::ProgramId),
        )
        .foreign_key(&mut cascade_to_household(
            ProgramDismissals::Table,
            ProgramDismissals::HouseholdId,
        ))
        .to_owned()
}

/// Keys the service makes for itself on first start (the notice-link signing key, the VAPID
/// key): every process reads the same ones, with nothing to configure.
fn secrets_table() -> TableCreateStatement {
    Table::create()
        .table(ServiceSecrets::Table)
        .col(
            ColumnDef::new(ServiceSecrets::Name)
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(ServiceSecrets::Value).text().not_null())
        .col(timestamp(ServiceSecrets::CreatedAt))
        .to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
enum Notices {
    Table,
    Id,
    HouseholdId,
    ChannelId,
    ChannelKind,
    Kind,
    EventId,
    ProgramId,
    DigestId,
    DigestOn,
    Address,
    Content,
    QuietFrom,
    QuietUntil,
    Status,
    Attempts,
    NotBefore,
    LeaseUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum NoticeAttempts {
    Table,
    NoticeId,
    Attempt,
    StartedAt,
    FinishedAt,
    Outcome,
    ProviderId,
    Error,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProgramDismissals {
    Table,
    HouseholdId,
    ProgramId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    MaterialVersion,
}

#[derive(DeriveIden)]
enum MatchEvents {
    Table,
    PlannedAt,
}

#[derive(DeriveIden)]
enum Households {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContactChannels {
    Table,
    Id,
}
