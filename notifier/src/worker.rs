//! The delivery worker: claims due notices in batches, reserves each channel's send slots (the
//! rate limit, shared by every process through the database: backpressure, it slows down rather
//! than failing), renders them, delivers several at once, and records every attempt as soon as it
//! ends. The binary's loop calls [`Worker::run_once`] with the notice planner; run as many
//! processes as you like against PostgreSQL, one against SQLite.

use kosodate_domain::{Vocabulary, error_chain};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use sea_orm::DatabaseConnection;
use strum::VariantArray;
use tokio::time::Instant;
use uuid::Uuid;

use crate::channel::{Channel, ChannelKind, DeliveryError, Envelope};
use crate::content::{NoticeContent, NoticeKind};
use crate::links::LinkSigner;
use crate::outbox::{self, AttemptRecord, AttemptResult, ClaimedNotice, OutboxError};
use crate::schedule::{RetryPolicy, next_allowed};
use crate::send_slots;
use crate::template::{NoticeToRender, render};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Notices claimed per round trip to the database.
    pub batch_size: u64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// How long a claim lasts before another worker may take the notice over.
    pub lease: Duration,
    /// How long one delivery attempt may take.
    pub attempt_timeout: Duration,
    pub retry: RetryPolicy,
    /// Deliveries per second per channel kind, all worker processes together.
    pub rates: HashMap<ChannelKind, NonZeroU32>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        let rate = |per_second: u32| NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        Self {
            batch_size: 200,
            concurrency: 32,
            lease: Duration::from_secs(300),
            attempt_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            // LINE allows 2,000 push requests per second per channel.
            rates: HashMap::from([
                (ChannelKind::Email, rate(100)),
                (ChannelKind::Line, rate(2_000)),
                (ChannelKind::WebPush, rate(500)),
                (ChannelKind::PartnerApp, rate(500)),
            ]),
        }
    }
}

/// An address that will never work again, reported after its notice was recorded dead.
#[derive(Debug, Clone)]
pub struct GoneAddress {
    pub household_id: Uuid,
    pub channel_id: Uuid,
    pub channel_kind: ChannelKind,
    pub reason: String,
}

/// What the rest of the service does when delivery learns something: the households crate
/// switches the channel off and tells the household another way.
#[async_trait::async_trait]
pub trait DeliveryHooks: Send + Sync + std::fmt::Debug {
    async fn address_gone(&self, gone: &GoneAddress);
}

#[derive(Debug, Clone)]
pub struct Worker {
    db: DatabaseConnection,
    channels: HashMap<ChannelKind, Arc<dyn Channel>>,
    signer: LinkSigner,
    my_page: url::Url,
    config: WorkerConfig,
    hooks: Option<Arc<dyn DeliveryHooks>>,
    /// Held from a delivery through a provider that does not drop repeats until its outcome is
    /// committed: a crash then leaves at most one such notice delivered but unrecorded.
    unrecorded: Arc<tokio::sync::Mutex<()>>,
}

/// This process's turn to have a notice delivered but not yet recorded.
type UnrecordedTurn = Option<tokio::sync::OwnedMutexGuard<()>>;

impl Worker {
    pub fn new(
        db: DatabaseConnection,
        channels: Vec<Arc<dyn Channel>>,
        signer: LinkSigner,
        my_page: url::Url,
        config: WorkerConfig,
    ) -> Self {
        Self {
            db,
            channels: channels
                .into_iter()
                .map(|channel| (channel.kind(), channel))
                .collect(),
            signer,
            my_page,
            config,
            hooks: None,
            unrecorded: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn with_hooks(mut self, hooks: Arc<dyn DeliveryHooks>) -> Self {
        self.hooks = Some(hooks);
        self
    }

    /// Claims one batch and delivers it; returns how many notices it handled.
    pub async fn run_once(&self) -> Result<usize, OutboxError> {
        let now = Utc::now();
        let lease_until = now + self.config.lease;
        let claimed = outbox::claim(&self.db, self.config.batch_size, now, lease_until).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let slotted = self.reserve_slots(claimed.clone()).await?;
        let records = self.deliver_and_record(slotted).await?;
        self.report_gone(&claimed, &records).await;
        Ok(records.len())
    }

    /// Pairs each notice with the moment its channel's rate lets it go (none for a channel
    /// without a configured rate), in the order claimed.
    async fn reserve_slots(
        &self,
        claimed: Vec<ClaimedNotice>,
    ) -> Result<Vec<(ClaimedNotice, Option<Instant>)>, OutboxError> {
        let mut slots = HashMap::new();
        for kind in ChannelKind::VARIANTS.iter().copied() {
            let Some(rate) = self.config.rates.get(&kind) else {
                continue;
            };
            let count = claimed
                .iter()
                .filter(|notice| notice.channel_kind == kind)
                .count();
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            if count > 0 {
                let reserved = send_slots::reserve(&self.db, kind, count, *rate).await?;
                // Measured from when the answer arrived, the slots start late by its trip from
                // the database, never early.
                slots.insert(kind, (Instant::now(), reserved));
            }
        }
        let mut taken: HashMap<ChannelKind, u32> = HashMap::new();
        Ok(claimed
            .into_iter()
            .map(|notice| {
                let slot = slots.get(&notice.channel_kind).map(|(answered_at, reserved)| {
                    let index = taken.entry(notice.channel_kind).or_default();
                    let starts_in = reserved.starts_in(*index);
                    *index += 1;
                    *answered_at + starts_in
                });
                (notice, slot)
            })
            .collect())
    }

    /// Delivers the batch and records each outcome as soon as it is known, not when the whole
    /// batch is done. Outcomes that finish while a commit runs go into the next one together
    /// (group commit), so the database sees one transaction per commit time, not one per
    /// delivery. A provider that does not drop repeats (SMTP) delivers again whatever a killed
    /// worker delivered but had not recorded: its deliveries take turns (`unrecorded`), each
    /// turn ending when the outcome is committed, so a kill repeats at most one of them.
    async fn deliver_and_record(
        &self,
        slotted: Vec<(ClaimedNotice, Option<Instant>)>,
    ) -> Result<Vec<AttemptRecord>, OutboxError> {
        let (finished, mut to_record) = tokio::sync::mpsc::unbounded_channel();
        // Owned notices: a stream of futures borrowing from the batch is not `Send` enough for
        // `tokio::spawn` (rust-lang/rust#102211).
        let deliveries = async move {
            futures::stream::iter(slotted)
                .map(|(notice, slot)| async move { self.attempt(&notice, slot).await })
                .buffer_unordered(self.config.concurrency)
                .for_each(|attempted| {
                    // The receiver is gone only after a failed commit, which ends the batch.
                    let _ = finished.send(attempted);
                    std::future::ready(())
                })
                .await;
            Ok::<(), OutboxError>(())
        };
        let recording = async {
            let mut recorded = Vec::new();
            let mut ready: Vec<(AttemptRecord, UnrecordedTurn)> = Vec::new();
            while to_record.recv_many(&mut ready, usize::MAX).await > 0 {
                let (records, turns): (Vec<AttemptRecord>, Vec<UnrecordedTurn>) = ready.drain(..).unzip();
                outbox::record(&self.db, &records).await?;
                drop(turns);
                recorded.extend(records);
            }
            Ok(recorded)
        };
        // A failed commit stops the deliveries that have not started: their notices come back
        // when the lease runs out, rather than being delivered with no record.
        let ((), recorded) = tokio::try_join!(deliveries, recording)?;
        Ok(recorded)
    }

    /// Waits for the notice's send slot and, for a provider that does not drop repeats, for
    /// this process's previous such delivery to be recorded.
    async fn wait_turn(&self, notice: &ClaimedNotice, slot: Option<Instant>) -> UnrecordedTurn {
        if let Some(slot) = slot {
            tokio::time::sleep_until(slot).await;
        }
        let channel = self.channels.get(&notice.channel_kind)?;
        if channel.drops_repeats() {
            return None;
        }
        Some(self.unrecorded.clone().lock_owned().await)
    }

    async fn attempt(
        &self,
        notice: &ClaimedNotice,
        slot: Option<Instant>,
    ) -> (AttemptRecord, UnrecordedTurn) {
        let turn = self.wait_turn(notice, slot).await;
        let started_at = Utc::now();
        let (result, members) = match self.deliver(notice).await {
            Ok(delivery) => delivery,
            Err(error) => (
                self.retry_or_give_up(notice, format!("cannot prepare the notice: {error}"), None),
                Vec::new(),
            ),
        };
        let finished_at = Utc::now();
        metrics::counter!(
            "kosodate_notice_attempts_total",
            "channel" => notice.channel_kind.id(),
            "outcome" => result.outcome(),
        )
        .increment(1);
        metrics::histogram!("kosodate_notice_delivery_seconds", "channel" => notice.channel_kind.id())
            .record((finished_at - started_at).as_seconds_f64());
        let record = AttemptRecord {
            notice: notice.id,
            attempt: notice.attempt,
            members,
            started_at,
            finished_at,
            result,
        };
        (record, turn)
    }

    async fn deliver(&self, notice: &ClaimedNotice) -> Result<(AttemptResult, Vec<Uuid>), OutboxError> {
        let now = Utc::now();
        let allowed = next_allowed(now, notice.quiet);
        if allowed > now {
            return Ok((AttemptResult::Deferred { until: allowed }, Vec::new()));
        }
        let members = match notice.content.kind {
            NoticeKind::Digest => outbox::digest_members(&self.db, notice.id).await?,
            _ => Vec::new(),
        };
        if notice.content.kind == NoticeKind::Digest && members.is_empty() {
            return Ok((AttemptResult::Nothing, Vec::new()));
        }
        let member_ids = members.iter().map(|(id, _)| *id).collect();
        let Some(channel) = self.channels.get(&notice.channel_kind) else {
            let error = format!("no {} channel is configured", notice.channel_kind.id());
            return Ok((AttemptResult::Dead { error, gone: false }, Vec::new()));
        };
        let envelope = self.envelope(notice, &members);
        let result = match tokio::time::timeout(self.config.attempt_timeout, channel.deliver(&envelope)).await
        {
            Ok(Ok(delivered)) => AttemptResult::Sent {
                provider_id: delivered.provider_id,
                repeat: delivered.repeat,
            },
            Ok(Err(DeliveryError::Transient { reason, retry_after })) => {
                self.retry_or_give_up(notice, reason, retry_after)
            }
            Ok(Err(DeliveryError::AddressGone { reason })) => AttemptResult::Dead {
                error: format!("address gone: {reason}"),
                gone: true,
            },
            Ok(Err(DeliveryError::Rejected { reason })) => AttemptResult::Dead {
                error: format!("rejected: {reason}"),
                gone: false,
            },
            Err(_) => self.retry_or_give_up(notice, "timed out".into(), None),
        };
        Ok((result, member_ids))
    }

    fn envelope(&self, notice: &ClaimedNotice, members: &[(Uuid, NoticeContent)]) -> Envelope {
        // A partner app receives what the notice needs, never whom in the household it is for:
        // the children's names are left out of its text.
        let for_partner = notice.channel_kind == ChannelKind::PartnerApp;
        let shown = |content: &NoticeContent| match for_partner {
            true => content.without_children(),
            false => content.clone(),
        };
        let contents: Vec<(Uuid, NoticeContent)> = members
            .iter()
            .map(|(id, content)| (*id, shown(content)))
            .collect();
        let own_content = shown(&notice.content);
        let members: Vec<NoticeToRender<'_>> = contents
            .iter()
            .map(|(id, content)| NoticeToRender { id: *id, content })
            .collect();
        let own = NoticeToRender {
            id: notice.id,
            content: &own_content,
        };
        Envelope {
            notice_id: notice.id,
            address: notice.address.clone(),
            notice: render(&self.signer, own, &members, &self.my_page),
        }
    }

    fn retry_or_give_up(
        &self,
        notice: &ClaimedNotice,
        error: String,
        retry_after: Option<Duration>,
    ) -> AttemptResult {
        let attempts = u32::try_from(notice.attempt).unwrap_or(u32::MAX);
        if attempts >= self.config.retry.max_attempts {
            return AttemptResult::Dead {
                error: format!("gave up after {attempts} attempts: {error}"),
                gone: false,
            };
        }
        let wait = self
            .config
            .retry
            .backoff(attempts)
            .max(retry_after.unwrap_or_default());
        let retry_at: DateTime<Utc> = Utc::now() + wait;
        AttemptResult::Retry {
            retry_at: next_allowed(retry_at, notice.quiet),
            error,
        }
    }

    async fn report_gone(&self, claimed: &[ClaimedNotice], records: &[AttemptRecord]) {
        let Some(hooks) = &self.hooks else {
            return;
        };
        for record in records {
            let AttemptResult::Dead { error, gone: true } = &record.result else {
                continue;
            };
            let Some(notice) = claimed.iter().find(|notice| notice.id == record.notice) else {
                continue;
            };
            let gone = GoneAddress {
                household_id: notice.household_id,
                channel_id: notice.channel_id,
                channel_kind: notice.channel_kind,
                reason: error.clone(),
            };
            hooks.address_gone(&gone).await;
        }
    }
}

/// Sets `kosodate_notices{channel, status}` from the database, so that every process's
/// `/metrics` shows the whole queue.
pub async fn publish_gauges(db: &DatabaseConnection) {
    match outbox::status_counts(db).await {
        Ok(counts) => {
            for count in counts {
                metrics::gauge!("kosodate_notices", "channel" => count.channel_kind, "status" => count.status)
                    .set(count.count as f64);
            }
        }
        Err(error) => tracing::warn!(error = %error_chain(&error), "cannot count notices"),
    }
}
