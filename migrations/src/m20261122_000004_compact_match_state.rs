use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Replaces the matcher's row per (household, program) with one row per household. At Aomori
/// scale the per-pair rows meant eleven million writes for a full run; one compact row per
/// household (which programs are eligible or unknown, a fingerprint of what the answer depends
/// on, and the next day anything can change) is what events and scheduling need. Windows and
/// reasons are recomputed on demand: the engine answers a household in about 0.1 ms.
/// The tables dropped held derived data only: the next run rebuilds them.
///
/// The derived tables have no foreign keys: checking one locks and looks up the parent row for
/// every row written, which tripled the cost of a bulk upsert on PostgreSQL (150,000 rows: 0.8 s
/// without, 2.4 to 3.2 s with either key). The household store deletes derived rows explicitly
/// with their household, and a full run removes any orphans.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [MatchEvents::Table.into_iden(), MatchResults::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("households_rescan_on_idx")
                    .table(Households::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Households::Table)
                    .drop_column(Households::RescanOn)
                    .to_owned(),
            )
            .await?;
        manager.create_table(match_catalogues_table()).await?;
        manager.create_table(household_matches_table()).await?;
        manager.create_table(match_events_table()).await?;
        for index in indexes() {
            manager.create_index(index).await?;
        }
        // NULLs are distinct in a unique index: events about the household as a whole need their
        // own key. Partial indexes read the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX match_events_household_key ON match_events \
                 (household_id, kind, anchor_on) WHERE program_id IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MatchEvents::Table.into_iden(),
            HouseholdMatches::Table.into_iden(),
            MatchCatalogues::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Households::Table)
                    .add_column(ColumnDef::new(Households::RescanOn).date())
                    .to_owned(),
            )
            .await
    }
}

/// No index on `match_events.created_at`: ids are UUIDv7, so the primary key already orders
/// events by creation, and each index costs every one of the events a run records.
fn indexes() -> [IndexCreateStatement; 3] {
    [
        Index::create()
            .name("household_matches_next_check_idx")
            .table(HouseholdMatches::Table)
            .col(HouseholdMatches::NextCheck)
            .to_owned(),
        Index::create()
            .name("household_matches_catalogue_idx")
            .table(HouseholdMatches::Table)
            .col(HouseholdMatches::CatalogueId)
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
    ]
}

/// The published programs as one run saw them, so that a household's row can name programs by
/// position (a byte or two) instead of by UUID (sixteen).
fn match_catalogues_table() -> TableCreateStatement {
    Table::create()
        .table(MatchCatalogues::Table)
        .col(
            ColumnDef::new(MatchCatalogues::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(
            ColumnDef::new(MatchCatalogues::Digest)
                .string_len(32)
                .not_null()
                .unique_key(),
        )
        // The program ids in position order.
        .col(ColumnDef::new(MatchCatalogues::Programs).json_binary().not_null())
        .col(
            ColumnDef::new(MatchCatalogues::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

fn household_matches_table() -> TableCreateStatement {
    Table::create()
        .table(HouseholdMatches::Table)
        .col(
            ColumnDef::new(HouseholdMatches::HouseholdId)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(HouseholdMatches::CatalogueId)
                .big_integer()
                .not_null(),
        )
        // What the answer depends on (profile, applicable programs and their versions, policy):
        // equal fingerprints before `next_check` mean nothing to recompute.
        .col(
            ColumnDef::new(HouseholdMatches::Fingerprint)
                .big_integer()
                .not_null(),
        )
        // Positions in the catalogue of the programs eligible and unknown on `evaluated_on`.
        .col(ColumnDef::new(HouseholdMatches::State).binary().not_null())
        .col(ColumnDef::new(HouseholdMatches::EvaluatedOn).date().not_null())
        .col(ColumnDef::new(HouseholdMatches::NextCheck).date())
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
        // Empty for an event about the household as a whole (its first results).
        .col(ColumnDef::new(MatchEvents::ProgramId).string_len(36))
        .col(ColumnDef::new(MatchEvents::Kind).string_len(32).not_null())
        // The date that makes the event unique for its kind: the day found eligible, the day an
        // application period opens, or its deadline.
        .col(ColumnDef::new(MatchEvents::AnchorOn).date().not_null())
        .col(ColumnDef::new(MatchEvents::OpensOn).date())
        .col(ColumnDef::new(MatchEvents::ClosesOn).date())
        .col(ColumnDef::new(MatchEvents::OccursOn).date().not_null())
        .col(
            ColumnDef::new(MatchEvents::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum Households {
    Table,
    RescanOn,
}

#[derive(DeriveIden)]
enum MatchResults {
    Table,
}

#[derive(DeriveIden)]
enum MatchCatalogues {
    Table,
    Id,
    Digest,
    Programs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HouseholdMatches {
    Table,
    HouseholdId,
    CatalogueId,
    Fingerprint,
    State,
    EvaluatedOn,
    NextCheck,
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
