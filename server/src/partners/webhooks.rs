//! Change webhooks in this process: a follower reads the registry's change feed into the
//! partners' delivery outbox, and a worker delivers what is due, signed with each partner's
//! Standard Webhooks secrets. Both are safe in several processes: the feed position only moves
//! forward and the outbox's unique key drops a change two followers both read; deliveries are
//! claimed with leases (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
//!
//! The follower re-reads a margin before its position each time, since a change is stamped when
//! it is written and may commit a little later than a change stamped after it.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use kosodate_domain::error_chain;
use kosodate_partners::webhooks::{
    AttemptOutcome, ClaimedDelivery, EventType, ResourceChange, RetrySchedule,
};
use kosodate_partners::{Partner, Partners, PartnersError, standard_webhooks};
use kosodate_places::{Event, FeedPosition as PlacesPosition, Place, Places, PlacesError, Status};
use kosodate_registry::{FeedPosition as RegistryPosition, Program, ProgramStatus, Registry, RegistryError};
use url::Url;
use uuid::Uuid;

use crate::settings::PartnerSettings;

const FEED_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
const FEED_BATCH: u64 = 500;
/// Deliveries one worker round claims and sends at once.
const DELIVERY_BATCH: u64 = 20;

#[derive(Debug, thiserror::Error)]
enum FollowError {
    #[error("reading the registry's change feed failed")]
    Registry(#[from] RegistryError),
    #[error("reading the places' and events' change feed failed")]
    Places(#[from] PlacesError),
    #[error("writing webhook deliveries failed")]
    Partners(#[from] PartnersError),
}

/// The follower and the worker of this process.
#[derive(Debug, Clone)]
pub struct Webhooks {
    partners: Partners,
    registry: Registry,
    places: Places,
    public_url: Url,
    client: reqwest::Client,
    schedule: RetrySchedule,
    poll: Duration,
    /// How long a claimed delivery is this worker's: the request's timeout and a margin.
    lease: chrono::TimeDelta,
}

impl Webhooks {
    pub fn new(
        partners: Partners,
        registry: Registry,
        places: Places,
        public_url: Url,
        settings: &PartnerSettings,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_millis(settings.webhook_timeout_millis);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kosodate-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let schedule = match settings.webhook_retry_seconds.as_slice() {
            [] => RetrySchedule::default(),
            seconds => RetrySchedule(seconds.iter().copied().map(Duration::from_secs).collect()),
        };
        Ok(Self {
            partners,
            registry,
            places,
            public_url,
            client,
            schedule,
            poll: Duration::from_millis(settings.webhook_poll_millis.max(50)),
            lease: chrono::TimeDelta::from_std(timeout).unwrap_or_default() + chrono::TimeDelta::seconds(30),
        })
    }

    /// Follows the feed and delivers, every poll interval, for as long as the process runs.
    pub fn spawn(self) {
        tokio::spawn(async move {
            loop {
                self.follow_changes().await;
                match self.deliver_due().await {
                    // A full batch: there may be more due at once.
                    Ok(claimed) if claimed as u64 == DELIVERY_BATCH => continue,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(error = %error_chain(&error), "webhook delivery round failed")
                    }
                }
                tokio::time::sleep(self.poll).await;
            }
        });
    }

    /// Writes a delivery for every change of programs, places and events since each feed's
    /// position; one feed failing does not hold up the others.
    async fn follow_changes(&self) {
        let outcomes = [
            (Program::FEED, self.follow::<Program>().await),
            (Place::FEED, self.follow::<Place>().await),
            (Event::FEED, self.follow::<Event>().await),
        ];
        for (feed, outcome) in outcomes {
            if let Err(error) = outcome {
                tracing::warn!(feed, error = %error_chain(&error), "webhook follower could not read the changes");
            }
        }
    }

    /// Reads one feed from its position (less the margin) to its end, a batch at a time, into
    /// the outbox, and moves the position to the last change read.
    async fn follow<R: FeedRecord>(&self) -> Result<(), FollowError> {
        let Some(position) = self.partners.feed_position(R::FEED).await? else {
            return Ok(());
        };
        let mut after = (position - FEED_MARGIN, None);
        loop {
            let batch = R::read(self, after.0, after.1).await?;
            let Some(last) = batch.last() else {
                return Ok(());
            };
            let (last_at, last_id) = last.feed_key();
            after = (last_at, Some(last_id));
            let changes: Vec<ResourceChange> = batch
                .iter()
                .filter_map(|record| record.change(&self.public_url))
                .collect();
            self.partners.enqueue_changes(&changes, Utc::now()).await?;
            if last_at > position {
                self.partners
                    .advance_feed(R::FEED, last_at, &last_id.to_string())
                    .await?;
            }
            if (batch.len() as u64) < FEED_BATCH {
                return Ok(());
            }
        }
    }

    /// Claims what is due and sends it; how many were claimed.
    async fn deliver_due(&self) -> Result<usize, PartnersError> {
        let now = Utc::now();
        let claimed = self
            .partners
            .claim_deliveries(DELIVERY_BATCH, now, now + self.lease)
            .await?;
        let mut partners: HashMap<Uuid, Option<Partner>> = HashMap::new();
        for delivery in &claimed {
            if let std::collections::hash_map::Entry::Vacant(entry) = partners.entry(delivery.partner_id) {
                entry.insert(match self.partners.partner(delivery.partner_id).await {
                    Ok(partner) => Some(partner),
                    Err(PartnersError::NotFound(_)) => None,
                    Err(error) => return Err(error),
                });
            }
        }
        let attempts = claimed.iter().map(|delivery| {
            let partner = partners.get(&delivery.partner_id).and_then(Option::as_ref);
            self.attempt(delivery, partner)
        });
        for (delivery, outcome) in claimed.iter().zip(join_all(attempts).await) {
            let status = self
                .partners
                .record_attempt(delivery, &outcome, &self.schedule, Utc::now())
                .await?;
            metrics::counter!("partner_webhook_attempts_total", "status" => <&str>::from(status))
                .increment(1);
            tracing::info!(delivery = %delivery.id, partner_id = %delivery.partner_id, attempt = delivery.attempt, ?status, "webhook attempt");
        }
        Ok(claimed.len())
    }

    /// One signed POST of a delivery's body; the same `webhook-id` on every attempt.
    async fn attempt(&self, delivery: &ClaimedDelivery, partner: Option<&Partner>) -> AttemptOutcome {
        let Some(partner) = partner.filter(|partner| !partner.is_revoked()) else {
            return AttemptOutcome::PartnerRevoked;
        };
        let now = Utc::now();
        let signed = standard_webhooks::sign(
            partner.signing.active(now),
            &delivery.id,
            now,
            delivery.body.as_bytes(),
        );
        let mut request = self
            .client
            .post(delivery.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in signed.pairs() {
            request = request.header(name, value);
        }
        match request.body(delivery.body.clone()).send().await {
            Ok(response) => AttemptOutcome::of_status(response.status().as_u16()),
            Err(error) => AttemptOutcome::Failed {
                status: None,
                error: match error.is_timeout() {
                    true => "timed out".to_owned(),
                    false => format!("request failed: {}", error_chain(&error)),
                },
            },
        }
    }
}

/// A record of a change feed, as the follower reads it: which feed, where it lies in the feed,
/// and what a partner hears of it.
trait FeedRecord: Sized + Send {
    type Id: Copy + std::fmt::Display + Send;

    /// The feed's name in `partner_webhook_feeds`.
    const FEED: &'static str;
    const EVENT_TYPE: EventType;
    /// Where partners read one record: `api/v1/{PATH}/{id}`.
    const PATH: &'static str;

    /// Up to a batch of records changed after the position, oldest change first.
    fn read(
        hooks: &Webhooks,
        updated_at: DateTime<Utc>,
        id: Option<Self::Id>,
    ) -> impl Future<Output = Result<Vec<Self>, FollowError>> + Send;

    /// When it last changed, and its id: its place in the feed.
    fn feed_key(&self) -> (DateTime<Utc>, Self::Id);

    fn version(&self) -> i32;

    /// Its status as partners see it (`published`, `archived`), or none while it is nobody's
    /// business outside the registry: a draft, or withdrawn before it was ever published.
    fn public_status(&self) -> Option<&'static str>;

    /// The change a partner hears of, if any.
    fn change(&self, base: &Url) -> Option<ResourceChange> {
        let (changed_at, id) = self.feed_key();
        Some(ResourceChange {
            event_type: Self::EVENT_TYPE,
            resource_id: id.to_string(),
            version: self.version(),
            status: self.public_status()?,
            changed_at,
            url: base.join(&format!("api/v1/{}/{id}", Self::PATH)).ok()?,
        })
    }
}

/// Programs, places and events: alike but for their store, their ids and their statuses.
macro_rules! feed_record {
    (
        $record:ty, $id:ty, $feed:literal, $event_type:expr, $path:literal,
        $store:ident . $changed_after:ident ($position:ident), $status:ident
    ) => {
        impl FeedRecord for $record {
            type Id = $id;
            const FEED: &'static str = $feed;
            const EVENT_TYPE: EventType = $event_type;
            const PATH: &'static str = $path;

            async fn read(
                hooks: &Webhooks,
                updated_at: DateTime<Utc>,
                id: Option<Self::Id>,
            ) -> Result<Vec<Self>, FollowError> {
                let after = $position { updated_at, id };
                Ok(hooks.$store.$changed_after(Some(after), FEED_BATCH).await?)
            }

            fn feed_key(&self) -> (DateTime<Utc>, Self::Id) {
                (self.updated_at, self.id)
            }

            fn version(&self) -> i32 {
                self.version
            }

            fn public_status(&self) -> Option<&'static str> {
                match self.status {
                    $status::Published => Some("published"),
                    $status::Archived if self.published_at.is_some() => Some("archived"),
                    _ => None,
                }
            }
        }
    };
}

feed_record!(
    Program,
    kosodate_domain::ProgramId,
    "program",
    EventType::ProgramChanged,
    "programs",
    registry.programs_changed_after(RegistryPosition),
    ProgramStatus
);
feed_record!(
    Place,
    Uuid,
    "place",
    EventType::PlaceChanged,
    "places",
    places.places_changed_after(PlacesPosition),
    Status
);
feed_record!(
    Event,
    Uuid,
    "event",
    EventType::EventChanged,
    "events",
    places.events_changed_after(PlacesPosition),
    Status
);
