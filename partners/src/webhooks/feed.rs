//! How far each change feed has been read into deliveries. Followers in several processes read
//! the same feed; the position only moves forward, and the deliveries' unique key drops what two
//! of them both wrote.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::entity::subscription;
use crate::error::PartnersError;
use crate::store::Partners;
use sea_orm::{EntityTrait, QueryOrder};

impl Partners {
    /// Where `feed` was read up to, or, before its first reading, the first subscription's
    /// creation (nothing before it is ever delivered); `None` while nobody subscribes.
    pub async fn feed_position(&self, feed: &str) -> Result<Option<DateTime<Utc>>, PartnersError> {
        let backend = self.db.get_database_backend();
        let p1 = match backend {
            DatabaseBackend::Postgres => "$1",
            _ => "?1",
        };
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT position_at FROM partner_webhook_feeds WHERE feed = {p1}"),
                [feed.into()],
            ))
            .await?;
        if let Some(row) = row {
            return Ok(Some(row.try_get::<DateTime<Utc>>("", "position_at")?));
        }
        let first = subscription::Entity::find()
            .order_by_asc(subscription::Column::CreatedAt)
            .one(&self.db)
            .await?;
        Ok(first.map(|row| row.created_at))
    }

    /// Records that `feed` was read up to `at` (the last change's instant and id); a position
    /// further on, from another process, stays.
    pub async fn advance_feed(&self, feed: &str, at: DateTime<Utc>, id: &str) -> Result<(), PartnersError> {
        let backend = self.db.get_database_backend();
        let (p1, p2, p3) = match backend {
            DatabaseBackend::Postgres => ("$1", "$2", "$3"),
            _ => ("?1", "?2", "?3"),
        };
        let txn = kosodate_database::begin_write(&self.db).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO partner_webhook_feeds (feed, position_at, position_id) VALUES ({p1}, {p2}, {p3}) \
                 ON CONFLICT (feed) DO UPDATE SET position_at = excluded.position_at, position_id = excluded.position_id \
                 WHERE partner_webhook_feeds.position_at < excluded.position_at"
            ),
            [feed.into(), at.into(), id.into()],
        ))
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
