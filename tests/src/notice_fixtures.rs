//! Households with one contact channel each, and a notice for each, in bulk: what the delivery
//! tests and the notice benchmark start from; and what the delivery tests check at the end (each
//! LINE notice pushed once, each mail arrived, repeats within the bound). PostgreSQL only; the database generates the rows,
//! since ten thousand households through the API would take longer than the tests.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use kosodate_domain::{EmailAddress, LineUserId, Vocabulary};
use kosodate_notifier::outbox::{self, NoticeDraft};
use kosodate_notifier::{Address, ChannelKind, NoticeContent, NoticeKind, NoticeStatus, ProgramNotice};
use kosodate_test_peers::line::LineContractServer;
use kosodate_test_peers::smtp::{ReceivedMail, SmtpServer};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait};
use uuid::Uuid;

/// One household's one channel, where its notice goes.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub household_id: Uuid,
    pub channel_id: Uuid,
    pub kind: ChannelKind,
    /// The LINE user id, the email address, or the subject a partner app knows the household by.
    pub address: String,
    /// The partner app of a `PartnerApp` recipient.
    pub partner_id: Option<Uuid>,
}

impl Recipient {
    /// A notice for this recipient as the planner drafts one: sent at once, on its own.
    pub fn draft(&self) -> anyhow::Result<NoticeDraft> {
        let address = match self.kind {
            ChannelKind::Line => Address::Line(LineUserId::parse(&self.address)?),
            ChannelKind::Email => Address::Email(EmailAddress::parse(&self.address)?),
            ChannelKind::WebPush => anyhow::bail!("web push recipients are not generated"),
            ChannelKind::PartnerApp => Address::PartnerApp(kosodate_notifier::PartnerAppLink {
                partner_id: self
                    .partner_id
                    .context("a partner app recipient names its partner")?,
                subject: self.address.clone(),
            }),
        };
        Ok(NoticeDraft {
            household_id: self.household_id,
            channel_id: self.channel_id,
            event_id: None,
            program_id: None,
            address,
            content: sample_content(),
            quiet: None,
            digest: false,
        })
    }
}

/// A new program announced, with every field a notice can show filled in.
pub fn sample_content() -> NoticeContent {
    NoticeContent {
        kind: NoticeKind::NewProgram,
        programs: vec![ProgramNotice {
            program_id: "022012-notice-delivery".into(),
            name: "青森市 子育て応援給付金".into(),
            owner: "青森市".into(),
            summary: "中学生までの子どもがいる世帯に給付します。".into(),
            children: vec!["はなこ".into()],
            benefit: Some("子ども1人につき 10,000円".into()),
            opens_on: None,
            closes_on: None,
            how_to_apply: vec!["市役所の窓口で申請してください。".into()],
            url: None,
            contact: Some("青森市 こども支援課".into()),
        }],
        disabled_channel: None,
        question: None,
        events: Vec::new(),
    }
}

/// One synthetic household per recipient, each with one opted-in, verified channel: LINE user
/// ids for the first `line`, then `parent{n}@example.jp`.
pub async fn create_recipients(
    db: &DatabaseConnection,
    line: usize,
    email: usize,
) -> anyhow::Result<Vec<Recipient>> {
    let total = line + email;
    let statements = [
        format!(
            "INSERT INTO households (id, municipality_code, profile, synthetic, created_at, updated_at) \
             SELECT md5('household-' || n)::uuid::text, '022012', '{{}}'::jsonb, true, now(), now() \
             FROM generate_series(1, {total}) AS n"
        ),
        format!(
            "INSERT INTO contact_channels (id, household_id, kind, address, opted_in, verified_at, created_at) \
             SELECT md5('channel-' || n)::uuid::text, md5('household-' || n)::uuid::text, \
                 CASE WHEN n <= {line} THEN 'line' ELSE 'email' END, \
                 CASE WHEN n <= {line} THEN 'U' || md5('line-' || n) ELSE 'parent' || n || '@example.jp' END, \
                 true, now(), now() \
             FROM generate_series(1, {total}) AS n"
        ),
    ];
    let query = "SELECT household_id, id, kind, address FROM contact_channels WHERE kind <> 'partner_app'";
    insert_and_read(db, statements, query, None).await
}

/// `count` synthetic households linked to the partner app `partner_id`, each with its opted-in
/// channel whose address is its subject at the app (`hh_partner-{n}`). Made after
/// [`create_recipients`], whose query reads every channel.
pub async fn create_partner_recipients(
    db: &DatabaseConnection,
    partner_id: Uuid,
    count: usize,
) -> anyhow::Result<Vec<Recipient>> {
    let statements = [
        format!(
            "INSERT INTO households (id, municipality_code, profile, synthetic, created_at, updated_at) \
             SELECT md5('partner-household-' || n)::uuid::text, '022012', '{{}}'::jsonb, true, now(), now() \
             FROM generate_series(1, {count}) AS n"
        ),
        format!(
            "INSERT INTO contact_channels (id, household_id, kind, address, keys, opted_in, verified_at, created_at) \
             SELECT md5('partner-channel-' || n)::uuid::text, md5('partner-household-' || n)::uuid::text, \
                 'partner_app', 'hh_partner-' || n, '{{\"partner_id\": \"{partner_id}\"}}'::jsonb, true, now(), now() \
             FROM generate_series(1, {count}) AS n"
        ),
    ];
    let query = "SELECT household_id, id, kind, address FROM contact_channels WHERE kind = 'partner_app'";
    insert_and_read(db, statements, query, Some(partner_id)).await
}

/// Runs `statements`, then reads the channels `query` selects as recipients.
async fn insert_and_read(
    db: &DatabaseConnection,
    statements: [String; 2],
    query: &str,
    partner_id: Option<Uuid>,
) -> anyhow::Result<Vec<Recipient>> {
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    let rows = db
        .query_all_raw(Statement::from_string(DatabaseBackend::Postgres, query))
        .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("", "kind")?;
            Ok(Recipient {
                household_id: row.try_get::<String>("", "household_id")?.parse()?,
                channel_id: row.try_get::<String>("", "id")?.parse()?,
                kind: ChannelKind::parse(&kind).with_context(|| format!("channel kind {kind}"))?,
                address: row.try_get("", "address")?,
                partner_id,
            })
        })
        .collect()
}

/// One notice that went dead, for a household of 青森市 made in SQL: what the pages for dead
/// letters show and send again. Written in one transaction, so that no worker sends it first.
pub async fn dead_letter(db: &DatabaseConnection, error: &str) -> anyhow::Result<Uuid> {
    use sea_orm::TransactionTrait;
    let recipient = Recipient {
        household_id: Uuid::now_v7(),
        channel_id: Uuid::now_v7(),
        kind: ChannelKind::Email,
        address: "dead-letter@example.jp".to_owned(),
        partner_id: None,
    };
    let txn = db.begin().await?;
    txn.execute_unprepared(&format!(
        "INSERT INTO households (id, municipality_code, profile, synthetic, created_at, updated_at) \
         VALUES ('{}', '022012', '{{}}', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        recipient.household_id
    ))
    .await?;
    txn.execute_unprepared(&format!(
        "INSERT INTO contact_channels (id, household_id, kind, address, opted_in, verified_at, created_at) \
         VALUES ('{}', '{}', 'email', '{}', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
        recipient.channel_id, recipient.household_id, recipient.address
    ))
    .await?;
    kosodate_notifier::outbox::enqueue(&txn, vec![recipient.draft()?], chrono::Utc::now()).await?;
    let escaped = error.replace('\'', "''");
    txn.execute_unprepared(&format!(
        "UPDATE notices SET status = 'dead', attempts = 8, last_error = '{escaped}' \
         WHERE household_id = '{}'",
        recipient.household_id
    ))
    .await?;
    txn.commit().await?;
    Ok(recipient.household_id)
}

/// The notices planned, by id.
#[derive(Debug)]
pub struct Notices(pub HashMap<Uuid, Recipient>);

impl Notices {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ids(&self, kind: ChannelKind) -> HashSet<Uuid> {
        self.0
            .iter()
            .filter(|(_, recipient)| recipient.kind == kind)
            .map(|(id, _)| *id)
            .collect()
    }
}

/// Plans one notice per recipient in one transaction, as the planner does with its events.
pub async fn enqueue_notices(db: &DatabaseConnection, recipients: &[Recipient]) -> Notices {
    let drafts: Vec<NoticeDraft> = recipients
        .iter()
        .map(|r| r.draft().expect("a recipient drafts a notice"))
        .collect();
    let txn = db.begin().await.expect("the test database or peer answers");
    let inserted = outbox::enqueue(&txn, drafts, Utc::now())
        .await
        .expect("the test database or peer answers");
    txn.commit().await.expect("the test database or peer answers");
    assert_eq!(inserted, recipients.len() as u64);
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT id, channel_id FROM notices",
        ))
        .await
        .expect("the test database or peer answers");
    let by_channel: HashMap<Uuid, &Recipient> = recipients.iter().map(|r| (r.channel_id, r)).collect();
    let notices = rows
        .iter()
        .map(|row| {
            let id: Uuid = row
                .try_get::<String>("", "id")
                .ok()
                .and_then(|id| id.parse().ok())
                .expect("a notice id is a UUID");
            let channel: Uuid = row
                .try_get::<String>("", "channel_id")
                .ok()
                .and_then(|id| id.parse().ok())
                .expect("a channel id is a UUID");
            (id, by_channel[&channel].clone())
        })
        .collect();
    Notices(notices)
}

/// Notices by status, all channels together.
#[derive(Debug)]
pub struct Progress(BTreeMap<String, i64>);

impl Progress {
    pub async fn read(db: &DatabaseConnection) -> Self {
        let mut by_status = BTreeMap::new();
        for count in outbox::status_counts(db)
            .await
            .expect("the test database or peer answers")
        {
            *by_status.entry(count.status).or_default() += count.count;
        }
        Self(by_status)
    }

    pub fn count(&self, status: NoticeStatus) -> usize {
        self.0
            .get(status.id())
            .map_or(0, |count| usize::try_from(*count).unwrap_or(0))
    }

    pub fn sent(&self) -> usize {
        self.count(NoticeStatus::Sent)
    }
}

/// LINE got every LINE notice exactly once, as a valid push; returns the repeats it dropped.
pub fn assert_line_delivered_each_once(line: &LineContractServer, notices: &Notices) -> usize {
    assert_eq!(
        line.rejections(),
        Vec::new(),
        "every push kept to LINE's contract"
    );
    let pushes = line.delivered();
    assert_eq!(
        pushes.len(),
        notices.ids(ChannelKind::Line).len(),
        "LINE delivered each notice once"
    );
    for push in &pushes {
        let recipient = &notices.0[&push.retry_key];
        assert_eq!(
            push.to, recipient.address,
            "notice {} went to its recipient",
            push.retry_key
        );
    }
    let keys: HashSet<Uuid> = pushes.iter().map(|push| push.retry_key).collect();
    assert_eq!(keys, notices.ids(ChannelKind::Line));
    line.repeats_dropped()
}

/// Every email notice reached its recipient, repeated only within the bound a kill allows;
/// returns the notices whose mail arrived more than once.
pub async fn assert_mail_arrived(smtp: &SmtpServer, notices: &Notices, kills: usize) -> HashSet<Uuid> {
    let messages = smtp
        .wait_for_count(notices.ids(ChannelKind::Email).len(), Duration::from_secs(30))
        .await
        .expect("the test database or peer answers");
    let arrived = mail_by_notice(&messages);
    assert_eq!(
        arrived.keys().copied().collect::<HashSet<_>>(),
        notices.ids(ChannelKind::Email)
    );
    for (notice, copies) in &arrived {
        let address = &notices.0[notice].address;
        for mail in copies {
            assert_eq!(&mail.envelope_recipients, std::slice::from_ref(address));
        }
    }
    let repeated: HashSet<Uuid> = arrived
        .iter()
        .filter(|(_, copies)| copies.len() > 1)
        .map(|(notice, _)| *notice)
        .collect();
    let duplicates = messages.len() - arrived.len();
    assert!(
        duplicates <= kills,
        "{duplicates} duplicate mails after {kills} kills: at most one per kill"
    );
    repeated
}

/// Mail grouped by the notice its `Message-ID` (`<notice id@sender domain>`) names.
pub fn mail_by_notice(messages: &[ReceivedMail]) -> HashMap<Uuid, Vec<&ReceivedMail>> {
    let mut by_notice: HashMap<Uuid, Vec<&ReceivedMail>> = HashMap::new();
    for mail in messages {
        let message_id = mail
            .message_id
            .as_deref()
            .expect("the test database or peer answers");
        let notice = message_id
            .strip_prefix('<')
            .and_then(|rest| rest.split_once('@'))
            .map(|(local, _)| local.parse::<Uuid>().expect("the test database or peer answers"))
            .unwrap_or_else(|| panic!("{message_id} is not <notice id@domain>"));
        by_notice.entry(notice).or_default().push(mail);
    }
    by_notice
}

/// Notices claimed more than once: those a killed worker held.
pub async fn reclaimed_notices(db: &DatabaseConnection) -> HashSet<Uuid> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT id FROM notices WHERE attempts > 1",
        ))
        .await
        .expect("the test database or peer answers");
    rows.iter()
        .map(|row| {
            row.try_get::<String>("", "id")
                .ok()
                .and_then(|id| id.parse().ok())
                .expect("a notice id is a UUID")
        })
        .collect()
}
