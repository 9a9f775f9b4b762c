//! Mail the service sends outside the notice queue: the link that verifies a household's email
//! address. It goes through the notices' email transport (SMTP, or the file mailbox of the
//! embedded default).

use kosodate_domain::EmailAddress;
use kosodate_notifier::channels::email::EmailChannel;
use lettre::Message;
use lettre::message::header::ContentType;

#[derive(Debug, Clone)]
pub struct Mailer {
    email: EmailChannel,
    public_url: url::Url,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error(transparent)]
    Deliver(#[from] kosodate_notifier::DeliveryError),
}

impl Mailer {
    /// Sends through `email`, from its sender (`mail_from`).
    pub fn new(email: EmailChannel, public_url: url::Url) -> Self {
        Self { email, public_url }
    }

    /// Sends the verification link for a newly added address.
    pub async fn send_verification(&self, to: &EmailAddress, token: &str) -> Result<(), MailError> {
        let link = self
            .public_url
            .join(&format!("me/channels/verify?token={token}"))
            .map_err(|e| MailError::Build(e.to_string()))?;
        let body = format!(
            "青森県 子育て支援制度のお知らせサービスです。\n\n\
             お知らせを受け取るメールアドレスとして登録するには、48時間以内に次のリンクを開いてください。\n\n\
             {link}\n\n\
             心当たりのない場合は、このメールを破棄してください。登録はされません。\n"
        );
        let message = Message::builder()
            .from(self.email.from_mailbox().clone())
            .to(to
                .as_str()
                .parse()
                .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?)
            .subject("【子育て支援】メールアドレスの確認")
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.email.send_message(message).await?;
        Ok(())
    }
}
