use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Households (personal data, kept to what eligibility needs), their consents, the matcher's
/// stored results per household and program, and the change events the notifier consumes.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(households_table()).await?;
        manager.create_table(consents_table()).await?;
        manager.create_table(match_results_table()).await?;
        manager.create_table(match_events_table()).await?;
        for index in [
            Index::create()
                .name("households_municipality_idx")
                .table(Households::Table)
                .col(Households::MunicipalityCode)
                .col(Households::Id)
                .to_owned(),
            Index::create()
                .name("households_rescan_on_idx")
                .table(Households::Table)
                .col(Households::RescanOn)
                .to_owned(),
            Index::create()
                .name("consents_household_purpose_idx")
                .table(Consents::Table)
                .col(Consents::HouseholdId)
                .col(Consents::Purpose)
                .to_owned(),
            Index::create()
                .name("match_results_next_check_idx")
                .table(MatchResults::Table)
                .col(MatchResults::NextCheck)
                .to_owned(),
            Index::create()
                .name("match_results_program_idx")
                .table(MatchResults::Table)
                .col(MatchResults::ProgramId)
                .to_owned(),
            Index::create()
                .name("match_events_idempotency_key")
                .table(MatchEvents::Table)
                .col(MatchEvents::HouseholdId)
                .col(MatchEvents::ProgramId)
                .col(MatchEvents::Kind)
                .col(MatchEvents::AnchorOn)
                .unique()
                .to_owned(),
            Index::create()
                .name("match_events_created_idx")
                .table(MatchEvents::Table)
                .col(MatchEvents::CreatedAt)
                .to_owned(),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MatchEvents::Table.into_iden(),
            MatchResults::Table.into_iden(),
            Consents::Table.into_iden(),
            Households::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

fn households_table() -> TableCreateStatement {
    Table::create()
        .table(Households::Table)
        .col(
            ColumnDef::new(Households::Id)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(Households::MunicipalityCode)
                .string_len(6)
                .not_null(),
        )
        // Children and the optional facts, as the matcher reads them.
        .col(ColumnDef::new(Households::Profile).json_binary().not_null())
        .col(
            ColumnDef::new(Households::Synthetic)
                .boolean()
                .not_null()
                .default(false),
        )
        // The day some program not stored in match_results may start to matter.
        .col(ColumnDef::new(Households::RescanOn).date())
        .col(
            ColumnDef::new(Households::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Households::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Households::Table, Households::MunicipalityCode)
                .to(Municipalities::Table, Municipalities::Code),
        )
        .to_owned()
}

fn consents_table() -> TableCreateStatement {
    Table::create()
        .table(Consents::Table)
        .col(
            ColumnDef::new(Consents::Id)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Consents::HouseholdId).string_len(36).not_null())
        .col(ColumnDef::new(Consents::Purpose).string_len(32).not_null())
        .col(ColumnDef::new(Consents::TextVersion).integer().not_null())
        .col(ColumnDef::new(Consents::Method).string_len(16).not_null())
        .col(
            ColumnDef::new(Consents::GrantedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Consents::WithdrawnAt).timestamp_with_time_zone())
        .foreign_key(
            ForeignKey::create()
                .from(Consents::Table, Consents::HouseholdId)
                .to(Households::Table, Households::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn match_results_table() -> TableCreateStatement {
    Table::create()
        .table(MatchResults::Table)
        .col(
            ColumnDef::new(MatchResults::HouseholdId)
                .string_len(36)
                .not_null(),
        )
        .col(ColumnDef::new(MatchResults::ProgramId).string_len(36).not_null())
        .col(ColumnDef::new(MatchResults::ProgramVersion).integer().not_null())
        .col(
            ColumnDef::new(MatchResults::Eligibility)
                .string_len(16)
                .not_null(),
        )
        .col(ColumnDef::new(MatchResults::Detail).json_binary().not_null())
        .col(ColumnDef::new(MatchResults::NextCheck).date())
        .col(ColumnDef::new(MatchResults::EvaluatedOn).date().not_null())
        .primary_key(
            Index::create()
                .col(MatchResults::HouseholdId)
                .col(MatchResults::ProgramId),
        )
        .foreign_key(
            ForeignKey::create()
                .from(MatchResults::Table, MatchResults::HouseholdId)
                .to(Households::Table, Households::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(MatchResults::Table, MatchResults::ProgramId)
                .to(Programs::Table, Programs::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn match_events_table() -> TableCreateStatement {
    Table::create()
        .table(MatchEvents::Table)
        .col(
            ColumnDef::new(MatchEvents::Id)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(MatchEvents::HouseholdId).string_len(36).not_null())
        .col(ColumnDef::new(MatchEvents::ProgramId).string_len(36).not_null())
        .col(ColumnDef::new(MatchEvents::Kind).string_len(32).not_null())
        // The date that makes the event unique for its kind: the first day found eligible, the
        // day an application period opens, or its deadline.
        .col(ColumnDef::new(MatchEvents::AnchorOn).date().not_null())
        .col(ColumnDef::new(MatchEvents::OpensOn).date())
        .col(ColumnDef::new(MatchEvents::ClosesOn).date())
        .col(ColumnDef::new(MatchEvents::OccursOn).date().not_null())
        .col(
            ColumnDef::new(MatchEvents::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(MatchEvents::Table, MatchEvents::HouseholdId)
                .to(Households::Table, Households::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(MatchEvents::Table, MatchEvents::ProgramId)
                .to(Programs::Table, Programs::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Households {
    Table,
    Id,
    MunicipalityCode,
    Profile,
    Synthetic,
    RescanOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    HouseholdId,
    Purpose,
    TextVersion,
    Method,
    GrantedAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum MatchResults {
    Table,
    HouseholdId,
    ProgramId,
    ProgramVersion,
    Eligibility,
    Detail,
    NextCheck,
    EvaluatedOn,
}

#[derive(DeriveIden)]
enum MatchEvents {
    Table,
    Id,
    HouseholdId,
    ProgramId,
    Kind,
    AnchorOn,
    OpensOn,
    ClosesOn,
    OccursOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Municipalities {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Programs {
    Table,
    Id,
}
