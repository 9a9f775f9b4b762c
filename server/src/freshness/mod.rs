//! Keeping the registry fresh in the background of every server process: the review reminder job
//! (`reminders`, with the signed 「内容に変更なし」 links of `review_token`) and the link checker
//! (`links`). Both are safe to run in several processes sharing one database. The pages reach
//! them through [`Freshness`] in the `AppState`.

pub mod links;
pub mod reminders;
pub mod review_token;

use std::time::Duration;

use kosodate_notifier::channels::email::EmailChannel;
use kosodate_registry::Registry;

use crate::secrets;
use crate::settings::FreshnessSettings;
use links::{LinkChecker, LinkCheckerConfig};
use reminders::ReviewReminders;
use review_token::ReviewLinkSigner;

/// The freshness services of this process.
#[derive(Debug, Clone)]
pub struct Freshness {
    pub reminders: ReviewReminders,
    pub links: LinkChecker,
}

impl Freshness {
    pub async fn build(
        settings: &FreshnessSettings,
        registry: &Registry,
        email: EmailChannel,
        public_url: &url::Url,
    ) -> anyhow::Result<Self> {
        let key =
            secrets::get_or_create(registry.connection(), "review_link_key", secrets::random_key).await?;
        let reminders = ReviewReminders::new(
            registry.clone(),
            email,
            ReviewLinkSigner::new(key.into_bytes()),
            public_url.clone(),
        );
        let links = LinkChecker::new(
            registry.clone(),
            LinkCheckerConfig {
                timeout: Duration::from_secs(settings.link_check_timeout_seconds),
                host_delay: Duration::from_millis(settings.link_check_host_delay_millis),
                allow_private_addresses: settings.link_check_allow_private_addresses,
            },
        );
        Ok(Self { reminders, links })
    }

    /// Starts the jobs the settings turn on.
    pub fn spawn(&self, settings: &FreshnessSettings) {
        if settings.review_reminder_seconds > 0 {
            reminders::spawn(
                self.reminders.clone(),
                Duration::from_secs(settings.review_reminder_seconds),
            );
        }
        if settings.link_check_hours > 0 {
            links::spawn(
                self.links.clone(),
                Duration::from_secs(settings.link_check_hours * 3600),
            );
        }
    }
}
