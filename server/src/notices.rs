//! Notices in this process: the channels built from settings, the planner that turns change
//! events into notices, and the loop that plans and delivers — inside `serve` (embedded default)
//! or as `kosodate worker` processes, any number of them against PostgreSQL.

use kosodate_domain::error_chain;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kosodate_households::Households;
use kosodate_notifier::channels::email::{EmailChannel, SmtpSettings};
use kosodate_notifier::channels::line::LineChannel;
use kosodate_notifier::channels::partner_app::{PartnerAppChannel, PartnerDirectory, PartnerEndpoint};
use kosodate_notifier::channels::web_push::{VapidKey, WebPushChannel};
use kosodate_notifier::{Channel, ChannelKind, FileMailbox, LinkSigner, RetryPolicy, Worker, WorkerConfig};
use kosodate_partners::{Partners, PartnersError, Scope, standard_webhooks};
use kosodate_planner::{ChannelHealth, NoticePlanner, WeeklyEventNotices};
use kosodate_registry::Registry;
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::secrets;
use crate::settings::{NoticeSettings, Settings};

/// Everything notices need, built once per process.
#[derive(Debug, Clone)]
pub struct Notices {
    pub planner: NoticePlanner,
    /// The week's events for households that asked for them, looked at every
    /// [`WEEKLY_EVENTS_EVERY`].
    pub weekly_events: WeeklyEventNotices,
    weekly_events_checked: Arc<Mutex<Option<Instant>>>,
    pub worker: Worker,
    pub email: EmailChannel,
    pub signer: LinkSigner,
    pub vapid_public_key: String,
    /// Push endpoints over plain http are accepted (tests with a loopback push service only).
    pub allow_insecure_push_endpoints: bool,
    pub idle_poll: Duration,
}

/// How often a process looks for municipalities whose week has events and no notices yet: a
/// week is planned once, so this is only how late in the week a newly published event is told.
const WEEKLY_EVENTS_EVERY: Duration = Duration::from_secs(10 * 60);

fn rate(per_second: u32) -> NonZeroU32 {
    NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN)
}

fn worker_config(settings: &NoticeSettings) -> WorkerConfig {
    WorkerConfig {
        batch_size: settings.batch_size,
        concurrency: settings.concurrency,
        lease: Duration::from_secs(settings.lease_seconds),
        attempt_timeout: Duration::from_secs(30),
        retry: RetryPolicy {
            base: Duration::from_secs(settings.retry_base_seconds),
            cap: Duration::from_secs(settings.retry_cap_seconds),
            max_attempts: settings.max_attempts,
        },
        rates: HashMap::from([
            (ChannelKind::Email, rate(settings.email_per_second)),
            (ChannelKind::Line, rate(settings.line_per_second)),
            (ChannelKind::WebPush, rate(settings.web_push_per_second)),
            (ChannelKind::PartnerApp, rate(settings.partner_app_per_second)),
        ]),
    }
}

fn email_channel(settings: &Settings) -> anyhow::Result<EmailChannel> {
    let from: lettre::message::Mailbox = settings.mail_from.parse()?;
    Ok(match &settings.notices.smtp_url {
        Some(url) => {
            let mut smtp = SmtpSettings::new(url.expose_secret());
            smtp.pool_size = settings.notices.smtp_pool_size;
            EmailChannel::smtp(&smtp, from)?
        }
        None => EmailChannel::file(FileMailbox::open(&settings.mailbox_dir())?, from),
    })
}

impl Notices {
    pub async fn build(
        settings: &Settings,
        registry: &Registry,
        public_url: &url::Url,
    ) -> anyhow::Result<Self> {
        let db = registry.connection().clone();
        let link_key = secrets::get_or_create(&db, "notice_link_key", secrets::random_key).await?;
        let signer = LinkSigner::new(public_url.clone(), link_key.into_bytes());
        let vapid = VapidKey::from_base64url(
            &secrets::get_or_create(&db, "vapid_private_key", || VapidKey::generate().to_base64url()).await?,
        )?;
        let vapid_public_key = vapid.public_key_base64url();
        let notice_settings = &settings.notices;
        let email = email_channel(settings)?;
        let timeout = Duration::from_secs(30);
        let web_push = WebPushChannel::new(vapid, notice_settings.web_push_subject.clone(), timeout)?
            .allow_insecure_endpoints(notice_settings.web_push_allow_insecure_endpoints);
        let mut channels: Vec<Arc<dyn Channel>> = vec![Arc::new(email.clone()), Arc::new(web_push)];
        if let Some(token) = &notice_settings.line_channel_access_token {
            let line = LineChannel::new(
                notice_settings.line_api_base.clone(),
                token.expose_secret().to_owned(),
                timeout,
            )?;
            channels.push(Arc::new(line));
        }
        let partners = PartnerNoticeEndpoints::new(kosodate_partners::Partners::new(db.clone()));
        channels.push(Arc::new(PartnerAppChannel::new(partners)?));
        let households = Households::new(db.clone());
        let my_page = public_url.join("me")?;
        let worker = Worker::new(
            db,
            channels,
            signer.clone(),
            my_page,
            worker_config(notice_settings),
        )
        .with_hooks(Arc::new(ChannelHealth::new(households.clone())));
        let weekly_events = WeeklyEventNotices::new(
            households.clone(),
            registry.clone(),
            kosodate_places::Places::new(registry.connection().clone()),
            public_url.join("events/")?,
        );
        Ok(Self {
            planner: NoticePlanner::new(households, registry.clone()),
            weekly_events,
            weekly_events_checked: Arc::new(Mutex::new(None)),
            worker,
            email,
            signer,
            vapid_public_key,
            allow_insecure_push_endpoints: notice_settings.web_push_allow_insecure_endpoints,
            idle_poll: Duration::from_millis(notice_settings.idle_poll_millis),
        })
    }

    /// One round: plan what the matcher recorded, then deliver one batch. Returns whether there
    /// was anything to do.
    pub async fn round(&self) -> anyhow::Result<bool> {
        let planned = self.planner.plan_pending().await? as u64 + self.plan_weekly_events_if_due().await?;
        let delivered = self.worker.run_once().await?;
        Ok(planned > 0 || delivered > 0)
    }

    /// Plans and delivers until `shutdown` resolves; failures are logged and retried.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last_gauges = std::time::Instant::now() - Duration::from_secs(60);
        loop {
            if last_gauges.elapsed() > Duration::from_secs(15) {
                kosodate_notifier::worker::publish_gauges(self.planner_db()).await;
                last_gauges = std::time::Instant::now();
            }
            let pause = match self.round().await {
                Ok(true) => Duration::ZERO,
                Ok(false) => self.idle_poll,
                Err(error) if kosodate_database::is_busy(error.as_ref()) => {
                    tracing::info!("database busy: the next notice round picks up where this stopped");
                    self.idle_poll * 5
                }
                Err(error) => {
                    tracing::warn!(error = %error_chain(error.as_ref()), "notice round failed");
                    self.idle_poll * 5
                }
            };
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Plans the week's events notices when [`WEEKLY_EVENTS_EVERY`] has passed since this process
    /// last looked; returns how many notices were queued.
    async fn plan_weekly_events_if_due(&self) -> anyhow::Result<u64> {
        {
            let mut checked = self
                .weekly_events_checked
                .lock()
                .map_err(|_| anyhow::anyhow!("weekly events clock poisoned"))?;
            if checked.is_some_and(|at| at.elapsed() < WEEKLY_EVENTS_EVERY) {
                return Ok(0);
            }
            *checked = Some(Instant::now());
        }
        Ok(self.weekly_events.plan_due(chrono::Utc::now()).await?)
    }

    fn planner_db(&self) -> &sea_orm::DatabaseConnection {
        self.worker.connection()
    }
}

/// The notifier's view of the partner registry: a partner that is revoked, lost the
/// `notices:deliver` scope or has no notice webhook takes no notices.
#[derive(Debug, Clone)]
pub struct PartnerNoticeEndpoints {
    partners: Partners,
}

impl PartnerNoticeEndpoints {
    pub fn new(partners: Partners) -> Arc<Self> {
        Arc::new(Self { partners })
    }
}

#[async_trait::async_trait]
impl PartnerDirectory for PartnerNoticeEndpoints {
    async fn endpoint(&self, partner_id: Uuid) -> Result<Option<PartnerEndpoint>, String> {
        let partner = match self.partners.partner(partner_id).await {
            Ok(partner) => partner,
            Err(PartnersError::NotFound(_)) => return Ok(None),
            Err(error) => return Err(error_chain(&error)),
        };
        let Some(url) = partner
            .notice_webhook_url
            .clone()
            .filter(|_| partner.may(Scope::NoticesDeliver))
        else {
            return Ok(None);
        };
        let signing = partner.signing;
        Ok(Some(PartnerEndpoint {
            url,
            sign: Box::new(move |id, body| {
                let now = chrono::Utc::now();
                standard_webhooks::sign(signing.active(now), id, now, body)
                    .pairs()
                    .to_vec()
            }),
        }))
    }
}
