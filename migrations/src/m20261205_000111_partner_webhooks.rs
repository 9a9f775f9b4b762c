use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Change webhooks of partner apps (issue 19). A partner subscribes a URL to event types
/// (`program.changed` …). Followers of each change feed (`partner_webhook_feeds`: how far the
/// feed was read, only ever moved forward) write one delivery per (subscription, event type,
/// resource, version): the unique key makes several processes reading the same changes harmless.
/// A delivery's id is its `webhook-id`, the same on every attempt; its body is fixed when it is
/// written, so every attempt signs the same bytes. Workers claim due rows (`not_before`) with a
/// lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), as the notice outbox does.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [subscriptions(), deliveries(), feeds()] {
            manager.create_table(table).await?;
        }
        for statement in INDEXES {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PartnerWebhookFeeds::Table.into_iden(),
            PartnerWebhookDeliveries::Table.into_iden(),
            PartnerWebhookSubscriptions::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// A partner's subscriptions; the one delivery of a change to a subscription; the due deliveries
/// in order; a partner's deliveries, newest first, for its administrators.
const INDEXES: [&str; 4] = [
    "CREATE INDEX partner_webhook_subscriptions_partner_idx ON partner_webhook_subscriptions (partner_id)",
    "CREATE UNIQUE INDEX partner_webhook_deliveries_change_idx ON partner_webhook_deliveries (subscription_id, event_type, resource_id, resource_version)",
    "CREATE INDEX partner_webhook_deliveries_due_idx ON partner_webhook_deliveries (status, not_before)",
    "CREATE INDEX partner_webhook_deliveries_partner_idx ON partner_webhook_deliveries (partner_id, created_at)",
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

fn subscriptions() -> TableCreateStatement {
    Table::create()
        .table(PartnerWebhookSubscriptions::Table)
        .col(text(PartnerWebhookSubscriptions::Id).primary_key())
        .col(text(PartnerWebhookSubscriptions::PartnerId))
        .col(text(PartnerWebhookSubscriptions::Url))
        .col(text(PartnerWebhookSubscriptions::EventTypes))
        .col(timestamp(PartnerWebhookSubscriptions::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .from(
                    PartnerWebhookSubscriptions::Table,
                    PartnerWebhookSubscriptions::PartnerId,
                )
                .to(Partners::Table, Partners::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn deliveries() -> TableCreateStatement {
    use PartnerWebhookDeliveries as D;
    Table::create()
        .table(D::Table)
        .col(text(D::Id).primary_key())
        .col(text(D::SubscriptionId))
        .col(text(D::PartnerId))
        .col(text(D::EventType))
        .col(text(D::ResourceId))
        .col(ColumnDef::new(D::ResourceVersion).integer().not_null())
        .col(ColumnDef::new(D::Body).text().not_null())
        .col(text(D::Status))
        .col(ColumnDef::new(D::Attempts).integer().not_null())
        .col(timestamp(D::NotBefore))
        .col(ColumnDef::new(D::LastStatus).integer().null())
        .col(ColumnDef::new(D::LastError).string().null())
        .col(timestamp(D::CreatedAt))
        .col(ColumnDef::new(D::DeliveredAt).timestamp_with_time_zone().null())
        .foreign_key(
            ForeignKey::create()
                .from(D::Table, D::SubscriptionId)
                .to(
                    PartnerWebhookSubscriptions::Table,
                    PartnerWebhookSubscriptions::Id,
                )
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn feeds() -> TableCreateStatement {
    Table::create()
        .table(PartnerWebhookFeeds::Table)
        .col(text(PartnerWebhookFeeds::Feed).primary_key())
        .col(timestamp(PartnerWebhookFeeds::PositionAt))
        .col(ColumnDef::new(PartnerWebhookFeeds::PositionId).string().null())
        .to_owned()
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PartnerWebhookSubscriptions {
    Table,
    Id,
    PartnerId,
    Url,
    EventTypes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PartnerWebhookDeliveries {
    Table,
    Id,
    SubscriptionId,
    PartnerId,
    EventType,
    ResourceId,
    ResourceVersion,
    Body,
    Status,
    Attempts,
    NotBefore,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum PartnerWebhookFeeds {
    Table,
    Feed,
    PositionAt,
    PositionId,
}
