//! Email: a notice becomes one multipart/alternative message (plain text and HTML), sent through
//! an SMTP connection (`channels::smtp`: reused, with `TCP_NODELAY`) or written into the file
//! mailbox of the embedded default.
//!
//! The `Message-ID` is `<notice id@sender's domain>`, the same on every attempt, so a receiving
//! system (and a person reading two copies) can tell a retry from a new notice; other mail (an
//! address verification) gets a fresh `<uuid@sender's domain>`. Each notice
//! carries RFC 8058 one-click unsubscribe headers and `Auto-Submitted` (RFC 3834), so that mail
//! clients offer an unsubscribe button and vacation responders stay quiet.

use std::error::Error as _;
use std::sync::Arc;

use kosodate_domain::error_chain;
use lettre::Message;
use lettre::message::header::{self, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp;
use uuid::Uuid;

use crate::channel::{Address, Channel, ChannelKind, Delivered, DeliveryError, Envelope, RenderedNotice};
use crate::channels::smtp::{SmtpError, SmtpRelay};
pub use crate::channels::smtp::{SmtpSettings, SmtpUrlError};
use crate::mailbox::FileMailbox;

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("invalid smtp settings")]
    SmtpUrl(#[source] SmtpUrlError),
}

/// The email channel.
#[derive(Debug, Clone)]
pub struct EmailChannel {
    transport: Transport,
    from: Mailbox,
}

#[derive(Debug, Clone)]
enum Transport {
    Smtp(Arc<SmtpRelay>),
    File(FileMailbox),
}

impl EmailChannel {
    /// Connects lazily: a relay that is down now fails the first delivery, not the start-up.
    pub fn smtp(settings: &SmtpSettings, from: Mailbox) -> Result<Self, EmailError> {
        let relay = SmtpRelay::new(settings).map_err(EmailError::SmtpUrl)?;
        Ok(Self {
            transport: Transport::Smtp(Arc::new(relay)),
            from,
        })
    }

    pub fn file(mailbox: FileMailbox, from: Mailbox) -> Self {
        Self {
            transport: Transport::File(mailbox),
            from,
        }
    }

    /// The sender of every notice; also the `From` for mail built with [`Self::send_message`].
    pub fn from_mailbox(&self) -> &Mailbox {
        &self.from
    }

    /// The `Message-ID` a notice's mail carries on every attempt.
    pub fn message_id(&self, notice_id: Uuid) -> String {
        format!("<{notice_id}@{}>", self.from.email.domain())
    }

    /// Sends mail that does not go through the notice queue (an address verification link), with
    /// the same transport and the same error classification as notices. Mail built without a
    /// `Message-ID` gets a fresh one at the sender's domain: lettre adds none by itself (and
    /// names the machine's host when asked), and receiving systems score mail without one as
    /// spam.
    pub async fn send_message(&self, mut message: Message) -> Result<Delivered, DeliveryError> {
        if message.headers().get::<header::MessageId>().is_none() {
            let message_id = self.message_id(Uuid::now_v7());
            message.headers_mut().set(header::MessageId::from(message_id));
        }
        match &self.transport {
            Transport::Smtp(relay) => match relay.send(message.envelope(), &message.formatted()).await {
                Ok(response) => Ok(Delivered {
                    provider_id: acceptance_reply(response.message()),
                    repeat: false,
                }),
                Err(error) => Err(classify_send_error(&error)),
            },
            Transport::File(mailbox) => match mailbox.deliver(message).await {
                Ok(receipt) => Ok(Delivered {
                    provider_id: Some(receipt.id),
                    repeat: receipt.repeat,
                }),
                Err(error) => Err(DeliveryError::Transient {
                    reason: error_chain(&error),
                    retry_after: None,
                }),
            },
        }
    }

    fn compose(&self, envelope: &Envelope) -> Result<Message, DeliveryError> {
        let Address::Email(address) = &envelope.address else {
            return Err(rejected("the email channel was given an address of another kind"));
        };
        let to: lettre::Address = address
            .as_str()
            .parse()
            .map_err(|_| rejected("the mail library does not accept the recipient address"))?;
        let notice = &envelope.notice;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(notice.title.as_str())
            .date_now()
            .message_id(Some(self.message_id(envelope.notice_id)))
            .raw_header(custom_header(
                "List-Unsubscribe",
                format!("<{}>", notice.unsubscribe),
            ))
            .raw_header(custom_header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .raw_header(custom_header("Auto-Submitted", "auto-generated".to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                plain_text(notice),
                html(notice),
            ))
            .map_err(|error| rejected(&format!("cannot build the message: {error}")))
    }
}

#[async_trait::async_trait]
impl Channel for EmailChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    /// The file mailbox keeps one file per `Message-ID`; an SMTP relay delivers every copy.
    fn drops_repeats(&self) -> bool {
        matches!(self.transport, Transport::File(_))
    }

    async fn deliver(&self, envelope: &Envelope) -> Result<Delivered, DeliveryError> {
        let message = self.compose(envelope)?;
        self.send_message(message).await
    }
}

fn custom_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

fn rejected(reason: &str) -> DeliveryError {
    DeliveryError::Rejected {
        reason: reason.to_owned(),
    }
}

const FOOTER_NOTE: &str = "このメールは送信専用のアドレスからお送りしています。";
const UNSUBSCRIBE_LABEL: &str = "このお知らせの配信停止";

fn plain_text(notice: &RenderedNotice) -> String {
    let mut text = notice.body.trim_end().to_owned();
    text.push('\n');
    for link in notice.link.iter().chain(&notice.actions) {
        text.push_str(&format!("\n{}\n{}\n", link.label, link.url));
    }
    text.push_str(&format!(
        "\n――――\n{FOOTER_NOTE}\n{UNSUBSCRIBE_LABEL}: {}\n",
        notice.unsubscribe
    ));
    text
}

fn html(notice: &RenderedNotice) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n",
        escape_html(&notice.title)
    );
    // Blank lines separate paragraphs in the plain body; single line breaks stay line breaks.
    let body = notice.body.replace("\r\n", "\n");
    for paragraph in body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = paragraph.lines().map(escape_html).collect();
        html.push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
    }
    for link in notice.link.iter().chain(&notice.actions) {
        html.push_str(&format!("<p>{}</p>\n", anchor(&link.url, &link.label)));
    }
    html.push_str(&format!(
        "<hr>\n<p>{FOOTER_NOTE}<br>\n{}</p>\n</body>\n</html>\n",
        anchor(&notice.unsubscribe, UNSUBSCRIBE_LABEL)
    ));
    html
}

fn anchor(url: &url::Url, label: &str) -> String {
    format!(
        "<a href=\"{}\">{}</a>",
        escape_html(url.as_str()),
        escape_html(label)
    )
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The relay's words on accepting the message: Postfix and Exim name their queue id there, which
/// is how an operator finds the message in the relay's logs.
fn acceptance_reply<'a>(lines: impl Iterator<Item = &'a str>) -> Option<String> {
    let reply = lines.collect::<Vec<_>>().join(" ");
    let reply = reply.trim();
    (!reply.is_empty()).then(|| reply.to_owned())
}

/// A relay that cannot be reached or is slow to get ready may be back later; what it answered
/// decides the rest.
fn classify_send_error(error: &SmtpError) -> DeliveryError {
    match error {
        SmtpError::Smtp(error) => classify_smtp_error(error),
        SmtpError::Connect(_) | SmtpError::Timeout => DeliveryError::Transient {
            reason: error_chain(error),
            retry_after: None,
        },
    }
}

/// Sorts an SMTP failure into what the outbox does next. A permanent refusal of the recipient
/// means the address is gone; any other permanent refusal (content, policy, our credentials,
/// our sender address) will not change on retry; everything else (4xx replies, a relay that is
/// down, slow or garbled) may.
fn classify_smtp_error(error: &smtp::Error) -> DeliveryError {
    let reason = error_chain(error);
    if error.is_permanent() {
        let code = error.status().map_or(0, u16::from);
        // lettre keeps the reply's text, after the code, as the error's source.
        let reply = error.source().map(ToString::to_string).unwrap_or_default();
        if recipient_is_gone(code, enhanced_status(&reply)) {
            return DeliveryError::AddressGone { reason };
        }
        return DeliveryError::Rejected { reason };
    }
    // lettre's client errors are refusals of our own configuration or message: no usable
    // authentication mechanism, STARTTLS required but not offered, 8-bit content the relay
    // cannot take.
    if error.is_client() {
        return DeliveryError::Rejected { reason };
    }
    DeliveryError::Transient {
        reason,
        retry_after: None,
    }
}

/// lettre does not say which command failed, so the reply decides. The enhanced status code
/// (RFC 3463), which relays send alongside the basic code, separates a refused recipient
/// (5.1.x, 5.2.1) from a refused sender or message (550 5.7.1 is a policy refusal); without one,
/// 550, 551 and 553 are the basic codes for a mailbox that is not there.
fn recipient_is_gone(code: u16, enhanced: Option<(u16, u16, u16)>) -> bool {
    match enhanced {
        // Bad mailbox, bad domain, bad address syntax, mailbox moved, null MX; mailbox disabled;
        // 5.4.1 is what Microsoft 365 answers for a recipient its directory does not know.
        Some((5, 1, 1 | 2 | 3 | 6 | 10)) | Some((5, 2, 1)) | Some((5, 4, 1)) => true,
        Some(_) => false,
        None => matches!(code, 550 | 551 | 553),
    }
}

/// The first `class.subject.detail` triple in the reply text.
fn enhanced_status(reply: &str) -> Option<(u16, u16, u16)> {
    reply
        .split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')')
        .find_map(|word| {
            let mut parts = word.split('.');
            let class = parts.next()?.parse().ok()?;
            let subject = parts.next()?.parse().ok()?;
            let detail = parts.next()?.parse().ok()?;
            (parts.next().is_none() && matches!(class, 2 | 4 | 5)).then_some((class, subject, detail))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use kosodate_domain::EmailAddress;

    use super::*;
    use crate::channel::{Link, Urgency};

    fn notice() -> RenderedNotice {
        RenderedNotice {
            kind: kosodate_domain::NoticeKind::NewlyEligible,
            due_on: None,
            title: "児童手当の申請期限が近づいています".to_owned(),
            body: "青森市の児童手当の申請期限は3月31日です。\n必要な書類をご準備ください。\n\n詳しくは下のリンクから。".to_owned(),
            short: "児童手当の申請期限は3月31日".to_owned(),
            link: Some(Link {
                label: "制度の詳細".to_owned(),
                url: "https://kosodate.example/programs/02201-0001?a=1&b=2".parse().unwrap(),
            }),
            actions: vec![Link {
                label: "申請済み".to_owned(),
                url: "https://kosodate.example/notices/n1/applied".parse().unwrap(),
            }],
            unsubscribe: "https://kosodate.example/unsubscribe/t0ken".parse().unwrap(),
            urgency: Urgency::Normal,
            time_to_live: Duration::from_secs(86_400),
        }
    }

    fn envelope(notice_id: Uuid) -> Envelope {
        Envelope {
            notice_id,
            address: Address::Email(EmailAddress::parse("parent@example.jp").unwrap()),
            notice: notice(),
        }
    }

    fn channel(directory: &Path) -> EmailChannel {
        let mailbox = FileMailbox::open(directory).unwrap();
        EmailChannel::file(mailbox, "子育て支援 <noreply@kosodate.example>".parse().unwrap())
    }

    fn written(directory: &Path, delivered: &Delivered) -> String {
        let id = delivered.provider_id.as_deref().unwrap();
        std::fs::read_to_string(directory.join(format!("{id}.eml"))).unwrap()
    }

    #[tokio::test]
    async fn a_notice_carries_its_identity_and_unsubscribe_headers() {
        let directory = tempfile::tempdir().unwrap();
        let notice_id = Uuid::now_v7();
        let delivered = channel(directory.path())
            .deliver(&envelope(notice_id))
            .await
            .unwrap();
        let mail = written(directory.path(), &delivered);
        assert!(mail.contains(&format!("Message-ID: <{notice_id}@kosodate.example>\r\n")));
        assert!(mail.contains("List-Unsubscribe: <https://kosodate.example/unsubscribe/t0ken>\r\n"));
        assert!(mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(mail.contains("Auto-Submitted: auto-generated\r\n"));
        assert!(mail.contains("To: parent@example.jp\r\n"));
        assert!(mail.contains("Date: "));
        assert!(mail.contains("Content-Type: multipart/alternative"));
        assert!(mail.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(mail.contains("Content-Type: text/html; charset=utf-8"));
    }

    #[tokio::test]
    async fn a_retried_notice_keeps_its_message_id() {
        let directory = tempfile::tempdir().unwrap();
        let channel = channel(directory.path());
        let notice_id = Uuid::now_v7();
        let first = channel.deliver(&envelope(notice_id)).await.unwrap();
        let second = channel.deliver(&envelope(notice_id)).await.unwrap();
        assert_eq!(first.provider_id, second.provider_id);
        assert!(second.repeat);
        let other = channel.deliver(&envelope(Uuid::now_v7())).await.unwrap();
        assert_ne!(other.provider_id, first.provider_id);
        assert!(!other.repeat);
    }

    #[tokio::test]
    async fn an_address_of_another_kind_is_rejected() {
        let directory = tempfile::tempdir().unwrap();
        let mut envelope = envelope(Uuid::now_v7());
        envelope.address =
            Address::Line(kosodate_domain::LineUserId::parse(&format!("U{}", "a".repeat(32))).unwrap());
        let error = channel(directory.path()).deliver(&envelope).await.unwrap_err();
        assert!(matches!(error, DeliveryError::Rejected { .. }));
    }

    #[test]
    fn the_plain_text_lists_the_links_then_the_unsubscribe_footer() {
        let text = plain_text(&notice());
        let detail = text
            .find("制度の詳細\nhttps://kosodate.example/programs/02201-0001?a=1&b=2")
            .unwrap();
        let applied = text
            .find("申請済み\nhttps://kosodate.example/notices/n1/applied")
            .unwrap();
        let footer = text
            .find("このお知らせの配信停止: https://kosodate.example/unsubscribe/t0ken")
            .unwrap();
        assert!(text.starts_with("青森市の児童手当の申請期限は3月31日です。\n"));
        assert!(detail < applied && applied < footer);
    }

    #[test]
    fn the_html_escapes_text_and_links() {
        let mut notice = notice();
        notice.title = "<script>alert(1)</script>".to_owned();
        notice.body = "保育料 & 給食費 <無料>\n二行目\n\n二段落目".to_owned();
        let html = html(&notice);
        assert!(!html.contains("<script>"));
        assert!(html.contains("<p>保育料 &amp; 給食費 &lt;無料&gt;<br>\n二行目</p>\n<p>二段落目</p>"));
        assert!(
            html.contains(
                "<a href=\"https://kosodate.example/programs/02201-0001?a=1&amp;b=2\">制度の詳細</a>"
            )
        );
        assert!(
            html.contains(
                "<a href=\"https://kosodate.example/unsubscribe/t0ken\">このお知らせの配信停止</a>"
            )
        );
    }

    #[test]
    fn refused_recipients_are_told_apart_from_refused_messages() {
        assert!(recipient_is_gone(
            550,
            enhanced_status("5.1.1 mailbox unavailable")
        ));
        assert!(recipient_is_gone(
            550,
            enhanced_status("Requested action not taken: mailbox unavailable")
        ));
        assert!(recipient_is_gone(553, None));
        assert!(!recipient_is_gone(
            550,
            enhanced_status("5.7.1 message refused by policy")
        ));
        assert!(!recipient_is_gone(554, enhanced_status("5.6.0 content rejected")));
        assert!(!recipient_is_gone(
            535,
            enhanced_status("5.7.8 authentication failed")
        ));
        assert!(!recipient_is_gone(552, None));
    }

    #[test]
    fn the_enhanced_status_is_the_first_dotted_triple() {
        assert_eq!(
            enhanced_status("5.1.1 <a@b.jp>: Recipient address rejected"),
            Some((5, 1, 1))
        );
        assert_eq!(enhanced_status("Recipient rejected (5.1.10)"), Some((5, 1, 10)));
        assert_eq!(enhanced_status("version 1.2.3 is not a status"), None);
    }

    #[test]
    fn settings_never_print_the_password() {
        let settings = SmtpSettings::new("smtps://mailer:s3cret@smtp.example.jp:465");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("s3cret"));
        assert!(printed.contains("smtp.example.jp"));
    }

    #[test]
    fn an_unknown_url_scheme_is_refused() {
        let from: Mailbox = "noreply@kosodate.example".parse().unwrap();
        let error = EmailChannel::smtp(&SmtpSettings::new("http://smtp.example.jp"), from).unwrap_err();
        assert!(matches!(error, EmailError::SmtpUrl(_)));
    }
}
