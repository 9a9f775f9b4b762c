//! The email channel against a real SMTP server (aiosmtpd on loopback): what arrives, and how the
//! server's refusals and absence reach the outbox.

use std::time::Duration;

use kosodate_domain::EmailAddress;
use kosodate_notifier::channels::email::{EmailChannel, SmtpSettings};
use kosodate_notifier::{Address, Channel, DeliveryError, Envelope, Link, RenderedNotice, Urgency};
use kosodate_test_peers::smtp::{SmtpServer, SmtpServerBuilder, TEST_CA_PEM};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(10);

fn channel(server: &SmtpServer) -> anyhow::Result<EmailChannel> {
    let mut settings = SmtpSettings::new(server.url());
    settings.timeout = Duration::from_secs(5);
    settings.root_certificate = Some(TEST_CA_PEM.to_vec());
    Ok(EmailChannel::smtp(
        &settings,
        "青森県 子育て支援 <noreply@kosodate.example>".parse()?,
    )?)
}

fn envelope(recipient: &str) -> anyhow::Result<Envelope> {
    Ok(Envelope {
        notice_id: Uuid::now_v7(),
        address: Address::Email(EmailAddress::parse(recipient)?),
        notice: RenderedNotice {
            kind: kosodate_domain::NoticeKind::NewlyEligible,
            due_on: None,
            title: "【子育て支援】児童手当の申請期限が近づいています".to_owned(),
            body: "青森市にお住まいの皆さまへ。\n児童手当の申請期限は3月31日です。\n\n必要な書類をご準備ください。"
                .to_owned(),
            short: "児童手当の申請期限は3月31日".to_owned(),
            link: Some(Link {
                label: "制度の詳細と申請方法".to_owned(),
                url: "https://kosodate.example/programs/02201-0001".parse()?,
            }),
            actions: vec![
                Link {
                    label: "申請済み".to_owned(),
                    url: "https://kosodate.example/notices/applied?t=abc".parse()?,
                },
                Link {
                    label: "興味なし".to_owned(),
                    url: "https://kosodate.example/notices/not-interested?t=abc".parse()?,
                },
            ],
            unsubscribe: "https://kosodate.example/unsubscribe?t=xyz".parse()?,
            urgency: Urgency::Normal,
            time_to_live: Duration::from_secs(86_400),
        },
    })
}

#[tokio::test]
async fn a_notice_arrives_in_japanese_with_its_identity_and_unsubscribe_headers() -> anyhow::Result<()> {
    let server = SmtpServer::start().await?;
    let envelope = envelope("parent@example.jp")?;
    channel(&server)?.deliver(&envelope).await?;

    let mail = server.wait_for_count(1, WAIT).await?.remove(0);
    assert_eq!(mail.envelope_recipients, ["parent@example.jp"]);
    assert_eq!(mail.to, ["parent@example.jp"]);
    assert_eq!(
        mail.subject.as_deref(),
        Some("【子育て支援】児童手当の申請期限が近づいています")
    );
    let expected_id = format!("<{}@kosodate.example>", envelope.notice_id);
    assert_eq!(mail.message_id.as_deref(), Some(expected_id.as_str()));
    assert_eq!(
        mail.header("List-Unsubscribe"),
        Some("<https://kosodate.example/unsubscribe?t=xyz>")
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(mail.header("Auto-Submitted"), Some("auto-generated"));
    assert!(mail.header("Date").is_some());

    let text = mail.text_body.as_deref().unwrap_or_default();
    assert!(text.starts_with("青森市にお住まいの皆さまへ。\n児童手当の申請期限は3月31日です。"));
    assert!(text.contains("制度の詳細と申請方法\nhttps://kosodate.example/programs/02201-0001"));
    assert!(text.contains("興味なし\nhttps://kosodate.example/notices/not-interested?t=abc"));
    assert!(text.contains("このお知らせの配信停止: https://kosodate.example/unsubscribe?t=xyz"));
    let html = mail.html_body.as_deref().unwrap_or_default();
    assert!(html.contains("<p>必要な書類をご準備ください。</p>"));
    assert!(html.contains("<a href=\"https://kosodate.example/notices/applied?t=abc\">申請済み</a>"));
    assert!(
        html.contains("<a href=\"https://kosodate.example/unsubscribe?t=xyz\">このお知らせの配信停止</a>")
    );
    Ok(())
}

#[tokio::test]
async fn a_retried_notice_arrives_again_under_the_same_message_id() -> anyhow::Result<()> {
    let server = SmtpServer::start().await?;
    let channel = channel(&server)?;
    let retried = envelope("parent@example.jp")?;
    channel.deliver(&retried).await?;
    channel.deliver(&retried).await?;
    channel.deliver(&envelope("parent@example.jp")?).await?;

    let mails = server.wait_for_count(3, WAIT).await?;
    let ids: Vec<_> = mails.iter().map(|mail| mail.message_id.clone()).collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
    Ok(())
}

/// Delivers one notice and returns why it failed.
async fn refusal(channel: &EmailChannel, recipient: &str) -> anyhow::Result<DeliveryError> {
    match channel.deliver(&envelope(recipient)?).await {
        Ok(delivered) => anyhow::bail!("delivered after all: {delivered:?}"),
        Err(error) => Ok(error),
    }
}

/// SMTP has no `Retry-After`: the outbox's own backoff decides.
fn is_transient(error: &DeliveryError) -> bool {
    matches!(
        error,
        DeliveryError::Transient {
            retry_after: None,
            ..
        }
    )
}

/// Starts the server, then sends it one notice for `recipient`, which it is set up to refuse.
async fn refused_by(
    server: SmtpServerBuilder,
    recipient: &str,
) -> anyhow::Result<(SmtpServer, EmailChannel, DeliveryError)> {
    let server = server.start().await?;
    let channel = channel(&server)?;
    let error = refusal(&channel, recipient).await?;
    Ok((server, channel, error))
}

#[tokio::test]
async fn a_recipient_refused_at_rcpt_is_an_address_gone() -> anyhow::Result<()> {
    let gone = "moved@example.jp";
    let (server, channel, error) = refused_by(SmtpServer::builder().reject_recipient(gone), gone).await?;
    assert!(
        matches!(&error, DeliveryError::AddressGone { reason } if reason.contains("5.1.1")),
        "{error:?}"
    );

    // The refusal leaves the pooled connection usable for the next household.
    channel.deliver(&envelope("parent@example.jp")?).await?;
    let mails = server.wait_for_count(1, WAIT).await?;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].envelope_recipients, ["parent@example.jp"]);
    Ok(())
}

#[tokio::test]
async fn a_recipient_deferred_at_rcpt_is_transient() -> anyhow::Result<()> {
    let busy = "busy@example.jp";
    let (_server, _, error) = refused_by(SmtpServer::builder().defer_recipient(busy), busy).await?;
    assert!(is_transient(&error), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn a_message_refused_at_data_is_rejected_not_an_address_gone() -> anyhow::Result<()> {
    let strict = "strict@example.jp";
    let (server, _, error) = refused_by(SmtpServer::builder().refuse_data_for(strict), strict).await?;
    assert!(
        matches!(&error, DeliveryError::Rejected { reason } if reason.contains("5.7.1")),
        "{error:?}"
    );
    assert!(server.messages()?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_stopped_server_is_transient_and_the_pool_recovers_after_a_restart() -> anyhow::Result<()> {
    let mut server = SmtpServer::start().await?;
    let channel = channel(&server)?;
    // Leaves a connection in the pool, which the outage then breaks.
    channel.deliver(&envelope("parent@example.jp")?).await?;

    server.stop().await?;
    let error = refusal(&channel, "parent@example.jp").await?;
    assert!(is_transient(&error), "{error:?}");
    assert!(error.to_string().contains("Connection refused"), "{error}");

    server.restart().await?;
    let after_restart = envelope("parent@example.jp")?;
    channel.deliver(&after_restart).await?;
    let mails = server.wait_for_count(2, WAIT).await?;
    let expected_id = format!("<{}@kosodate.example>", after_restart.notice_id);
    assert_eq!(mails[1].message_id.as_deref(), Some(expected_id.as_str()));
    Ok(())
}

/// Sends two notices over one channel (the second reuses the connection) and checks both arrived.
async fn two_arrive(server: &SmtpServer) -> anyhow::Result<()> {
    let channel = channel(server)?;
    let first = envelope("parent@example.jp")?;
    channel.deliver(&first).await?;
    channel.deliver(&envelope("other@example.jp")?).await?;
    let mails = server.wait_for_count(2, WAIT).await?;
    let expected_id = format!("<{}@kosodate.example>", first.notice_id);
    assert_eq!(mails[0].message_id.as_deref(), Some(expected_id.as_str()));
    assert_eq!(mails[1].envelope_recipients, ["other@example.jp"]);
    Ok(())
}

#[tokio::test]
async fn a_notice_arrives_over_starttls_with_the_urls_credentials() -> anyhow::Result<()> {
    let server = SmtpServer::builder()
        .starttls()
        .require_auth("mailer", "s3cret")
        .start()
        .await?;
    two_arrive(&server).await
}

#[tokio::test]
async fn a_notice_arrives_over_implicit_tls_with_the_urls_credentials() -> anyhow::Result<()> {
    let server = SmtpServer::builder()
        .implicit_tls()
        .require_auth("mailer", "s3cret")
        .start()
        .await?;
    two_arrive(&server).await
}

#[tokio::test]
async fn a_wrong_password_is_rejected() -> anyhow::Result<()> {
    let server = SmtpServer::builder()
        .starttls()
        .require_auth("mailer", "s3cret")
        .start()
        .await?;
    let wrong_password = server.url().replace("s3cret", "wrong");
    let mut settings = SmtpSettings::new(wrong_password);
    settings.root_certificate = Some(TEST_CA_PEM.to_vec());
    let channel = EmailChannel::smtp(&settings, "noreply@kosodate.example".parse()?)?;
    let error = refusal(&channel, "parent@example.jp").await?;
    assert!(
        matches!(&error, DeliveryError::Rejected { reason } if reason.contains("535")),
        "{error:?}"
    );
    assert!(server.messages()?.is_empty());
    Ok(())
}
