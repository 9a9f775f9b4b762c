//! The review reminder job: decides which programs' reviews are due (or due within 14 days),
//! queues one mail per staff member of the owning organisation listing them, each with a signed
//! 「内容に変更なし」 link, and delivers the queued mails through the notifier's email channel.
//! Deciding and queueing are one transaction keyed by (program, due date), so the job may run in
//! any number of processes and a cycle's reminder still goes out once.

use chrono::{DateTime, Duration, Utc};
use kosodate_database::retry_while_busy;
use kosodate_domain::error_chain;
use kosodate_domain::japan::format_date;
use kosodate_notifier::channels::email::EmailChannel;
use kosodate_registry::freshness::reminders::{self, ClaimedMail, DueReview, ReminderBatch, ReminderMail};
use kosodate_registry::freshness::staff::StaffMember;
use kosodate_registry::{Registry, RegistryError};
use lettre::Message;
use lettre::message::header::ContentType;

use super::review_token::{ReviewClaim, ReviewLinkSigner};

/// How long a reminder's link stays valid: a cycle's reminder comes 14 days early, and staff
/// may be away for a few weeks.
const LINK_VALIDITY_DAYS: i64 = 60;
/// How long a process holds a claimed mail before another may send it.
const MAIL_LEASE_SECONDS: i64 = 300;
const MAILS_PER_ROUND: u64 = 50;

#[derive(Debug, Clone)]
pub struct ReviewReminders {
    registry: Registry,
    email: EmailChannel,
    signer: ReviewLinkSigner,
    public_url: url::Url,
}

#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("reminder database query failed")]
    Database(#[from] sea_orm::DbErr),
}

impl ReviewReminders {
    pub fn new(
        registry: Registry,
        email: EmailChannel,
        signer: ReviewLinkSigner,
        public_url: url::Url,
    ) -> Self {
        Self {
            registry,
            email,
            signer,
            public_url,
        }
    }

    pub fn signer(&self) -> &ReviewLinkSigner {
        &self.signer
    }

    /// One round: decide and queue what is due, then deliver what is queued. Returns how many
    /// mails were queued and how many were sent.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<(usize, usize), ReminderError> {
        let queued = retry_while_busy("deciding review reminders", || self.decide_and_queue(now)).await?;
        let sent = self.deliver(now).await?;
        Ok((queued, sent))
    }

    async fn decide_and_queue(&self, now: DateTime<Utc>) -> Result<usize, ReminderError> {
        let txn = kosodate_database::begin_write(self.registry.connection()).await?;
        let batches = reminders::decide(&txn, now).await?;
        let mut mails = Vec::new();
        for batch in &batches {
            let organisation = self.registry.municipality(batch.organisation).await?.name;
            mails.extend(
                batch
                    .recipients
                    .iter()
                    .filter_map(|member| self.render(&organisation, batch, member, now)),
            );
        }
        let queued = mails.len();
        reminders::queue_mails(&txn, mails, now).await?;
        txn.commit().await?;
        Ok(queued)
    }

    fn render(
        &self,
        organisation: &str,
        batch: &ReminderBatch,
        member: &StaffMember,
        now: DateTime<Utc>,
    ) -> Option<ReminderMail> {
        let address = member.email.clone()?;
        let expires_at = now + Duration::days(LINK_VALIDITY_DAYS);
        let programs: Vec<String> = batch
            .programs
            .iter()
            .map(|due| self.program_lines(due, member, expires_at))
            .collect();
        let body = format!(
            "{name} 様\n\n\
             青森県 子育て支援制度レジストリからのお知らせです。\n\
             {organisation}の次の制度は、内容を定期的に確認する時期になりました。\n\
             変更がなければ、各制度の「内容に変更なし」のリンクから確認を記録できます（リンク先のボタンを押すと記録されます）。\n\
             内容を変更して保存した場合は、それで確認も記録されます。\n\n\
             {programs}\n\
             リンクの有効期限: {expires}\n\n\
             このメールは送信専用です。心当たりのない場合は、所属の担当者にお知らせください。\n",
            name = member.display_name,
            programs = programs.join("\n"),
            expires = format_date(kosodate_domain::japan::date_of(expires_at)),
        );
        Some(ReminderMail {
            staff_id: member.id,
            address,
            subject: format!(
                "【子育て支援】制度の内容確認のお願い（{}件）",
                batch.programs.len()
            ),
            body,
        })
    }

    fn program_lines(&self, due: &DueReview, member: &StaffMember, expires_at: DateTime<Utc>) -> String {
        let token = self.signer.token(&ReviewClaim {
            program: due.program_id,
            version: due.version,
            staff: member.id,
            expires_at,
        });
        let mut link = self.public_url.clone();
        link.set_path(&format!("{}staff/reviews/{token}", base_path(&self.public_url)));
        let mut page = self.public_url.clone();
        page.set_path(&format!(
            "{}programs/{}",
            base_path(&self.public_url),
            due.program_id
        ));
        format!(
            "■ {name}\n  確認期限: {due_on}\n  公開中のページ: {page}\n  内容に変更なし: {link}\n",
            name = due.name,
            due_on = format_date(due.due_on),
        )
    }

    async fn deliver(&self, now: DateTime<Utc>) -> Result<usize, ReminderError> {
        let db = self.registry.connection();
        let claimed =
            reminders::claim_mails(db, now, Duration::seconds(MAIL_LEASE_SECONDS), MAILS_PER_ROUND).await?;
        let mut sent = 0;
        // One at a time, each outcome recorded before the next: a crash repeats at most one mail.
        for mail in claimed {
            let outcome = self.send(&mail).await;
            if outcome.is_ok() {
                sent += 1;
            }
            reminders::record_delivery(db, mail.id, outcome, Utc::now()).await?;
        }
        Ok(sent)
    }

    async fn send(&self, mail: &ClaimedMail) -> Result<(), String> {
        let to = mail
            .address
            .as_str()
            .parse()
            .map_err(|_| "the mail library does not accept the address".to_owned())?;
        let message = Message::builder()
            .from(self.email.from_mailbox().clone())
            .to(to)
            .subject(mail.subject.as_str())
            // The same Message-ID on every attempt, so a repeat can be told from a new reminder.
            .message_id(Some(self.email.message_id(mail.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|error| format!("cannot build the message: {error}"))?;
        self.email
            .send_message(message)
            .await
            .map(|_| ())
            .map_err(|error| error_chain(&error))
    }
}

fn base_path(base: &url::Url) -> String {
    let path = base.path();
    match path.ends_with('/') {
        true => path.to_owned(),
        false => format!("{path}/"),
    }
}

/// Runs the job every `interval` in this process.
pub fn spawn(reminders: ReviewReminders, interval: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            match reminders.run_once(Utc::now()).await {
                Ok((0, 0)) => {}
                Ok((queued, sent)) => tracing::info!(queued, sent, "review reminders"),
                Err(error) => tracing::error!(error = %error_chain(&error), "review reminders failed"),
            }
        }
    });
}
