//! What happens when a channel's address turns out to be gone (SMTP 5.1.x, LINE's unknown user,
//! Web Push 404/410): the channel is switched off, what waits for it is cancelled, and the
//! household is told through its other channels, in one transaction.

use chrono::Utc;
use kosodate_database::begin_write;
use kosodate_domain::{Vocabulary, error_chain};
use kosodate_households::{ChannelKind, Households};
use kosodate_notifier::outbox;
use kosodate_notifier::{DeliveryHooks, GoneAddress, NoticeContent, NoticeKind};

use crate::content::drafts;
use crate::error::PlannerError;

/// The notifier's hooks, answered here: a gone address switches its channel off.
#[derive(Debug, Clone)]
pub struct ChannelHealth {
    households: Households,
}

impl ChannelHealth {
    pub fn new(households: Households) -> Self {
        Self { households }
    }

    /// Returns false when the channel was off already.
    pub async fn disable_channel(&self, gone: &GoneAddress) -> Result<bool, PlannerError> {
        let txn = begin_write(self.households.connection()).await?;
        if !kosodate_households::switch_off_gone(&txn, gone.channel_id, &gone.reason).await? {
            return Ok(false);
        }
        let household_id = gone.household_id.to_string();
        if let Some(record) = kosodate_households::record_on(&txn, &household_id).await? {
            let channels =
                kosodate_households::deliverable_channels(&txn, std::slice::from_ref(&household_id))
                    .await?
                    .remove(&household_id)
                    .unwrap_or_default();
            let content = NoticeContent {
                kind: NoticeKind::ChannelDisabled,
                programs: Vec::new(),
                disabled_channel: Some(channel_label(gone.channel_kind).to_owned()),
                question: None,
                events: Vec::new(),
            };
            outbox::enqueue(&txn, drafts(&record, &channels, None, None, &content), Utc::now()).await?;
        }
        txn.commit().await?;
        Ok(true)
    }
}

fn channel_label(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Email => "ご登録のメールアドレス",
        ChannelKind::Line => "LINE",
        ChannelKind::WebPush => "ご登録のブラウザ（プッシュ通知）",
        ChannelKind::PartnerApp => "連携したアプリ",
    }
}

#[async_trait::async_trait]
impl DeliveryHooks for ChannelHealth {
    async fn address_gone(&self, gone: &GoneAddress) {
        match self.disable_channel(gone).await {
            Ok(true) => {
                tracing::info!(channel = %gone.channel_id, kind = gone.channel_kind.id(), "channel switched off: address gone")
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(channel = %gone.channel_id, error = %error_chain(&error), "cannot switch a gone channel off")
            }
        }
    }
}
