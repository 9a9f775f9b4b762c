use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A full re-match shared by several processes: `match_runs` is one run (its reference date,
/// whether it is finished), `match_partitions` the household id ranges it is cut into, each
/// claimed by one process at a time under a lease and marked done in the transaction that writes
/// its results. Lease ends and completion times are milliseconds since the epoch by the
/// database's clock, so that every process compares them against the same clock.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MatchRuns::Table)
                    .col(
                        ColumnDef::new(MatchRuns::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MatchRuns::RunOn).date().not_null())
                    .col(ColumnDef::new(MatchRuns::Partitions).integer().not_null())
                    .col(ColumnDef::new(MatchRuns::CreatedMs).big_integer().not_null())
                    .col(ColumnDef::new(MatchRuns::FinishedMs).big_integer())
                    .to_owned(),
            )
            .await?;
        manager.create_table(partitions()).await?;
        // The claim looks only at partitions not yet done; finished runs are found by the same
        // kind of index on runs.
        for statement in [
            "CREATE INDEX match_partitions_open_idx ON match_partitions (run_id, number) \
             WHERE done_ms IS NULL",
            "CREATE INDEX match_runs_open_idx ON match_runs (id) WHERE finished_ms IS NULL",
        ] {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MatchPartitions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MatchRuns::Table).to_owned())
            .await
    }
}

fn partitions() -> TableCreateStatement {
    let count = |column: MatchPartitions| {
        ColumnDef::new(column)
            .big_integer()
            .not_null()
            .default(0)
            .to_owned()
    };
    Table::create()
        .table(MatchPartitions::Table)
        .col(ColumnDef::new(MatchPartitions::RunId).big_integer().not_null())
        .col(ColumnDef::new(MatchPartitions::Number).integer().not_null())
        // Household ids in (after_id, until_id]; NULL: unbounded on that side.
        .col(ColumnDef::new(MatchPartitions::AfterId).string_len(36))
        .col(ColumnDef::new(MatchPartitions::UntilId).string_len(36))
        .col(ColumnDef::new(MatchPartitions::LeasedBy).string_len(64))
        .col(ColumnDef::new(MatchPartitions::LeaseUntilMs).big_integer())
        .col(count(MatchPartitions::Claims))
        .col(ColumnDef::new(MatchPartitions::DoneMs).big_integer())
        .col(count(MatchPartitions::Households))
        .col(count(MatchPartitions::Unchanged))
        .col(count(MatchPartitions::StatesWritten))
        .col(count(MatchPartitions::Events))
        .primary_key(
            Index::create()
                .col(MatchPartitions::RunId)
                .col(MatchPartitions::Number),
        )
        .to_owned()
}

#[derive(DeriveIden)]
enum MatchRuns {
    Table,
    Id,
    RunOn,
    Partitions,
    CreatedMs,
    FinishedMs,
}

#[derive(DeriveIden, Clone, Copy)]
enum MatchPartitions {
    Table,
    RunId,
    Number,
    AfterId,
    UntilId,
    LeasedBy,
    LeaseUntilMs,
    Claims,
    DoneMs,
    Households,
    Unchanged,
    StatesWritten,
    Events,
}
