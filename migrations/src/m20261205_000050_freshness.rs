use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What keeps the registry fresh without extra work for staff: each program's review cycle
/// (`programs.review_cycle_months`, 12 unless set); the staff who signed in through OpenID Connect
/// (`staff_directory`: staff data, never a parent's, so that review reminders have somebody to go
/// to); which review reminders were decided (`review_reminders`, one per program and due date, so
/// several processes send a cycle's reminder once) and the reminder mails themselves
/// (`review_reminder_mails`, a small outbox of its own: the notifier's outbox belongs to
/// households); what the link checker last saw at each URL (`link_checks`); and programs flagged
/// for review because a national or prefecture program of their type changed
/// (`program_review_flags`).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .add_column(
                        ColumnDef::new(Programs::ReviewCycleMonths)
                            .small_integer()
                            .not_null()
                            .default(12),
                    )
                    .to_owned(),
            )
            .await?;
        for table in [
            staff_directory(),
            review_reminders(),
            review_reminder_mails(),
            link_checks(),
            program_review_flags(),
        ] {
            manager.create_table(table).await?;
        }
        for statement in [
            "CREATE UNIQUE INDEX staff_directory_subject_idx ON staff_directory (provider, subject)",
            "CREATE INDEX staff_directory_organisation_idx ON staff_directory (organisation)",
            "CREATE INDEX review_reminder_mails_due_idx ON review_reminder_mails (not_before) \
             WHERE status IN ('queued', 'sending')",
            "CREATE INDEX program_review_flags_open_idx ON program_review_flags (program_id) \
             WHERE cleared_at IS NULL",
        ] {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProgramReviewFlags::Table.into_iden(),
            LinkChecks::Table.into_iden(),
            ReviewReminderMails::Table.into_iden(),
            ReviewReminders::Table.into_iden(),
            StaffDirectory::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Programs::Table)
                    .drop_column(Programs::ReviewCycleMonths)
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

fn to_program(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Programs::Table, Programs::Id)
        .to_owned()
}

/// One row per person who signed in as staff: who (the provider's subject), which organisation
/// and role the claims gave at the last sign-in, the name and the email address the ID token
/// carried, and when.
fn staff_directory() -> TableCreateStatement {
    Table::create()
        .table(StaffDirectory::Table)
        .col(uuid_column(StaffDirectory::Id).primary_key().to_owned())
        .col(ColumnDef::new(StaffDirectory::Provider).string_len(64).not_null())
        .col(ColumnDef::new(StaffDirectory::Subject).string_len(255).not_null())
        .col(ColumnDef::new(StaffDirectory::Role).string_len(16).not_null())
        .col(ColumnDef::new(StaffDirectory::Organisation).string_len(6).null())
        .col(
            ColumnDef::new(StaffDirectory::DisplayName)
                .string_len(255)
                .not_null(),
        )
        .col(ColumnDef::new(StaffDirectory::Email).string_len(254).null())
        .col(timestamp(StaffDirectory::FirstSignedInAt))
        .col(timestamp(StaffDirectory::LastSignedInAt))
        .to_owned()
}

/// The decision to remind about one program's review due on one date: its primary key is what
/// makes a reminder go out once per cycle whichever process decides first.
fn review_reminders() -> TableCreateStatement {
    Table::create()
        .table(ReviewReminders::Table)
        .col(uuid_column(ReviewReminders::ProgramId))
        .col(ColumnDef::new(ReviewReminders::DueOn).date().not_null())
        .col(
            ColumnDef::new(ReviewReminders::Organisation)
                .string_len(6)
                .not_null(),
        )
        .col(
            ColumnDef::new(ReviewReminders::ProgramVersion)
                .integer()
                .not_null(),
        )
        .col(timestamp(ReviewReminders::CreatedAt))
        .primary_key(
            Index::create()
                .col(ReviewReminders::ProgramId)
                .col(ReviewReminders::DueOn),
        )
        .foreign_key(&mut to_program(
            ReviewReminders::Table,
            ReviewReminders::ProgramId,
        ))
        .to_owned()
}

/// One reminder mail to one staff member, rendered when decided; delivered, retried with backoff
/// and given up on (`dead`) like the notifier's notices, with a lease for several processes.
fn review_reminder_mails() -> TableCreateStatement {
    Table::create()
        .table(ReviewReminderMails::Table)
        .col(uuid_column(ReviewReminderMails::Id).primary_key().to_owned())
        .col(uuid_column(ReviewReminderMails::StaffId))
        .col(
            ColumnDef::new(ReviewReminderMails::Address)
                .string_len(254)
                .not_null(),
        )
        .col(
            ColumnDef::new(ReviewReminderMails::Subject)
                .string_len(255)
                .not_null(),
        )
        .col(ColumnDef::new(ReviewReminderMails::Body).text().not_null())
        .col(
            ColumnDef::new(ReviewReminderMails::Status)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(ReviewReminderMails::Attempts)
                .integer()
                .not_null()
                .default(0),
        )
        .col(timestamp(ReviewReminderMails::NotBefore))
        .col(
            ColumnDef::new(ReviewReminderMails::LastError)
                .string_len(512)
                .null(),
        )
        .col(timestamp(ReviewReminderMails::CreatedAt))
        .col(nullable_timestamp(ReviewReminderMails::SentAt))
        .foreign_key(
            ForeignKey::create()
                .from(ReviewReminderMails::Table, ReviewReminderMails::StaffId)
                .to(StaffDirectory::Table, StaffDirectory::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// What the link checker last saw at a URL: the HTTP status (none when nothing answered), how
/// many checks in a row failed, since when it counts as broken (two failures in a row, so that a
/// blip does not flag it), and when to look again.
fn link_checks() -> TableCreateStatement {
    Table::create()
        .table(LinkChecks::Table)
        .col(
            ColumnDef::new(LinkChecks::Url)
                .string_len(2048)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(LinkChecks::LastStatus).small_integer().null())
        .col(ColumnDef::new(LinkChecks::LastError).string_len(255).null())
        .col(timestamp(LinkChecks::LastCheckedAt))
        .col(
            ColumnDef::new(LinkChecks::ConsecutiveFailures)
                .integer()
                .not_null()
                .default(0),
        )
        .col(nullable_timestamp(LinkChecks::BrokenSince))
        .to_owned()
}

/// A program to review because a national or prefecture program of the same type changed in
/// what it gives (its version `changed_version`); open until the program is reviewed or changed.
fn program_review_flags() -> TableCreateStatement {
    Table::create()
        .table(ProgramReviewFlags::Table)
        .col(uuid_column(ProgramReviewFlags::ProgramId))
        .col(uuid_column(ProgramReviewFlags::ChangedProgramId))
        .col(
            ColumnDef::new(ProgramReviewFlags::ChangedVersion)
                .integer()
                .not_null(),
        )
        .col(timestamp(ProgramReviewFlags::FlaggedAt))
        .col(nullable_timestamp(ProgramReviewFlags::ClearedAt))
        .primary_key(
            Index::create()
                .col(ProgramReviewFlags::ProgramId)
                .col(ProgramReviewFlags::ChangedProgramId)
                .col(ProgramReviewFlags::ChangedVersion),
        )
        .foreign_key(&mut to_program(
            ProgramReviewFlags::Table,
            ProgramReviewFlags::ProgramId,
        ))
        .foreign_key(&mut to_program(
            ProgramReviewFlags::Table,
            ProgramReviewFlags::ChangedProgramId,
        ))
        .to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
enum Programs {
    Table,
    Id,
    ReviewCycleMonths,
}

#[derive(DeriveIden, Clone, Copy)]
enum StaffDirectory {
    Table,
    Id,
    Provider,
    Subject,
    Role,
    Organisation,
    DisplayName,
    Email,
    FirstSignedInAt,
    LastSignedInAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewReminders {
    Table,
    ProgramId,
    DueOn,
    Organisation,
    ProgramVersion,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewReminderMails {
    Table,
    Id,
    StaffId,
    Address,
    Subject,
    Body,
    Status,
    Attempts,
    NotBefore,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LinkChecks {
    Table,
    Url,
    LastStatus,
    LastError,
    LastCheckedAt,
    ConsecutiveFailures,
    BrokenSince,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProgramReviewFlags {
    Table,
    ProgramId,
    ChangedProgramId,
    ChangedVersion,
    FlaggedAt,
    ClearedAt,
}
