//! Households with one contact channel each, and a notice for each, in bulk: what the delivery
//! tests and the notice benchmark start from. PostgreSQL only; the database generates the rows,
//! since ten thousand households through the API would take longer than the tests.

use anyhow::Context;
use kosodate_domain::{EmailAddress, LineUserId, Vocabulary};
use kosodate_notifier::outbox::NoticeDraft;
use kosodate_notifier::{Address, ChannelKind, NoticeContent, NoticeKind, ProgramNotice};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
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
