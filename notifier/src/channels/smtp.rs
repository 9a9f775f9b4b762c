//! SMTP connections with `TCP_NODELAY`, reused one by one.
//!
//! lettre 0.11 writes a message's body and its final `.` in two writes and leaves Nagle's
//! algorithm on, so on a connection without `TCP_NODELAY` every message waits for the relay's
//! delayed ACK (about 40 ms on Linux); its pooled transport offers no way to set the option
//! (fixed upstream after 0.11.23). A worker sends one message at a time, so each waited.
//! This module opens the TCP connection itself, sets `TCP_NODELAY`, and hands the stream to
//! lettre's connection type for the SMTP conversation (greeting, EHLO, STARTTLS, AUTH, mail).
//! It reads the same URL lettre's transport did, and its connections behave as lettre's
//! pooled ones did: tested with NOOP before reuse, closed when idle for a minute, at most
//! `pool_size` kept.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::Utf8Error;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::{self, SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// How to reach the SMTP relay.
#[derive(Clone)]
pub struct SmtpSettings {
    /// `smtp://host:port` (plain, for loopback only), `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `?tls=opportunistic` (STARTTLS when offered) or `smtps://user:pass@host:465`;
    /// user and password percent-encoded; a path (`smtp://host/mail.example.jp`) names the
    /// host in EHLO, the machine's name otherwise.
    pub url: String,
    /// Connections kept open to the relay between messages. A worker sends one message at a
    /// time and uses one; the server's verification mail may use more at once.
    pub pool_size: u32,
    /// How long to wait for a connection to the relay to be ready for mail (TCP, TLS, greeting,
    /// EHLO, AUTH).
    pub timeout: Duration,
    /// A certificate (PEM) to trust besides the public roots: the private CA of a relay inside
    /// the network.
    pub root_certificate: Option<Vec<u8>>,
}

impl SmtpSettings {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: 4,
            timeout: Duration::from_secs(30),
            root_certificate: None,
        }
    }

    /// lettre's TLS settings for `host`, as its transport derived them from the URL.
    fn tls_parameters(&self, host: &str) -> Result<TlsParameters, smtp::Error> {
        let Some(pem) = &self.root_certificate else {
            return TlsParameters::new(host.to_owned());
        };
        TlsParameters::builder(host.to_owned())
            .add_root_certificate(Certificate::from_pem(pem)?)
            .build()
    }
}

impl std::fmt::Debug for SmtpSettings {
    /// The URL may hold the relay's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = match url::Url::parse(&self.url) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("<redacted>"));
                url.to_string()
            }
            Ok(url) => url.to_string(),
            Err(_) => String::from("<unparseable>"),
        };
        f.debug_struct("SmtpSettings")
            .field("url", &url)
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .field("root_certificate", &self.root_certificate.is_some())
            .finish()
    }
}

/// lettre's pooled transport closed connections idle this long; relays drop them sooner or later.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum SmtpUrlError {
    /// Neither message names the URL, which may hold a password.
    #[error("invalid smtp url")]
    Parse(#[source] url::ParseError),
    #[error("the smtp url names no host")]
    NoHost,
    #[error("the smtp url must be smtp://, smtp://…?tls=required, smtp://…?tls=opportunistic or smtps://")]
    Scheme,
    #[error("the smtp url's user or password is not utf-8 once percent-decoded")]
    Credentials(#[source] Utf8Error),
    #[error("cannot set up tls for the smtp relay")]
    Tls(#[source] smtp::Error),
    #[error("smtp pool size must be at least 1")]
    PoolSize,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("cannot connect to the smtp relay")]
    Connect(#[source] io::Error),
    #[error("the smtp relay did not finish setting up the connection in time")]
    Timeout,
    /// lettre's own error: its kind and reply code decide what the outbox does next.
    #[error(transparent)]
    Smtp(#[from] smtp::Error),
}

/// How a connection is encrypted, as lettre reads the URL.
#[derive(Clone)]
enum Encryption {
    None,
    /// STARTTLS when the relay offers it (`tls=opportunistic`), or always (`tls=required`).
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Implicit(TlsParameters),
}

/// One SMTP relay and the connections kept open to it.
pub(crate) struct SmtpRelay {
    host: String,
    port: u16,
    encryption: Encryption,
    hello_name: ClientId,
    credentials: Option<Credentials>,
    timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl std::fmt::Debug for SmtpRelay {
    /// Credentials stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("max_idle", &self.max_idle)
            .finish_non_exhaustive()
    }
}

impl SmtpRelay {
    /// Reads the URL as lettre's `AsyncSmtpTransport::from_url` does: the scheme and `tls`
    /// choose encryption and the default port, the path names the EHLO host, the user and
    /// password (percent-encoded) authenticate.
    pub(crate) fn new(settings: &SmtpSettings) -> Result<Self, SmtpUrlError> {
        if settings.pool_size == 0 {
            return Err(SmtpUrlError::PoolSize);
        }
        let url = url::Url::parse(&settings.url).map_err(SmtpUrlError::Parse)?;
        let host = url.host_str().ok_or(SmtpUrlError::NoHost)?.to_owned();
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value);
        let tls_parameters = || settings.tls_parameters(&host).map_err(SmtpUrlError::Tls);
        let (encryption, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Encryption::None, SMTP_PORT),
            ("smtp", Some(mode @ ("required" | "opportunistic"))) => {
                let parameters = tls_parameters()?;
                let required = mode == "required";
                (Encryption::StartTls { parameters, required }, SUBMISSION_PORT)
            }
            ("smtps", _) => (Encryption::Implicit(tls_parameters()?), SUBMISSIONS_PORT),
            _ => return Err(SmtpUrlError::Scheme),
        };
        let hello_name = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            credentials: credentials(&url)?,
            host,
            encryption,
            hello_name,
            timeout: settings.timeout,
            max_idle: settings.pool_size as usize,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends over an idle connection that still answers, or a new one. A connection goes back
    /// only after a clean exchange; one dropped mid-send (a failure, or the caller's timeout
    /// cancelling this future) is never reused.
    pub(crate) async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SmtpError> {
        let mut connection = match self.idle_connection().await {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let response = connection.send(envelope, message).await?;
        self.put_back(connection).await;
        Ok(response)
    }

    async fn idle_connection(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut connection, idle_since) = self.idle.lock().await.pop()?;
            if idle_since.elapsed() < IDLE_LIMIT && connection.test_connected().await {
                return Some(connection);
            }
            connection.abort().await;
        }
    }

    async fn put_back(&self, mut connection: AsyncSmtpConnection) {
        if connection.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().await;
        if idle.len() < self.max_idle {
            idle.push((connection, Instant::now()));
            return;
        }
        drop(idle);
        let _ = connection.quit().await;
    }

    /// Everything up to the first message (TCP, TLS, greeting, EHLO, STARTTLS, AUTH) within
    /// the timeout: lettre bounded only the TCP connect, and a relay that accepts and then
    /// stays silent would hold a sender until the worker's attempt timeout.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        tokio::time::timeout(self.timeout, self.connect_unbounded())
            .await
            .map_err(|_| SmtpError::Timeout)?
    }

    async fn connect_unbounded(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let tcp = self.open_tcp().await?;
        let stream: Box<dyn AsyncTokioStream> = match &self.encryption {
            Encryption::Implicit(parameters) => {
                Box::new(ImplicitTls::handshake(tcp, parameters.clone()).await?)
            }
            _ => Box::new(tcp),
        };
        let mut connection = AsyncSmtpConnection::connect_with_transport(stream, &self.hello_name).await?;
        if let Encryption::StartTls { parameters, required } = &self.encryption
            && (*required || connection.can_starttls())
        {
            connection.starttls(parameters.clone(), &self.hello_name).await?;
        }
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(connection)
    }

    /// Without `TCP_NODELAY`, lettre's separate write of the final `.` waits for the relay's
    /// delayed ACK: about 40 ms a message.
    async fn open_tcp(&self) -> Result<TcpStream, SmtpError> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(SmtpError::Connect)?;
        tcp.set_nodelay(true).map_err(SmtpError::Connect)?;
        Ok(tcp)
    }
}

fn credentials(url: &url::Url) -> Result<Option<Credentials>, SmtpUrlError> {
    let Some(password) = url.password() else {
        return Ok(None);
    };
    let decode = |text: &str| -> Result<String, SmtpUrlError> {
        let decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8()
            .map_err(SmtpUrlError::Credentials)?;
        Ok(decoded.into_owned())
    };
    Ok(Some(Credentials::new(decode(url.username())?, decode(password)?)))
}

/// A stream that was TLS from its first byte. lettre's public way to a TLS stream with its own
/// TLS settings (`TlsParameters`, the same as for STARTTLS) is its `AsyncNetworkStream`,
/// deprecated in 0.11 as "not meant to be public" but the only one; it speaks the `futures`
/// I/O traits, and `connect_with_transport` takes the `tokio` ones.
#[allow(deprecated)]
#[derive(Debug)]
struct ImplicitTls(lettre::transport::smtp::client::AsyncNetworkStream);

#[allow(deprecated)]
impl ImplicitTls {
    async fn handshake(tcp: TcpStream, parameters: TlsParameters) -> Result<Self, smtp::Error> {
        let mut stream =
            lettre::transport::smtp::client::AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        stream.upgrade_tls(parameters).await?;
        Ok(Self(stream))
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

impl AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        let read = std::task::ready!(futures::io::AsyncRead::poll_read(
            Pin::new(&mut self.0),
            cx,
            unfilled
        ))?;
        buf.advance(read);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        futures::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        futures::io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn relay(url: &str) -> Result<SmtpRelay, SmtpUrlError> {
        SmtpRelay::new(&SmtpSettings::new(url))
    }

    #[tokio::test]
    async fn connections_to_the_relay_send_without_delay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tcp = relay(&format!("smtp://127.0.0.1:{port}"))
            .unwrap()
            .open_tcp()
            .await
            .unwrap();
        assert!(tcp.nodelay().unwrap());
    }

    #[test]
    fn the_url_chooses_encryption_and_port_as_lettre_did() {
        let plain = relay("smtp://relay.example.jp").unwrap();
        assert!(matches!(plain.encryption, Encryption::None));
        assert_eq!(plain.port, 25);
        let required = relay("smtp://relay.example.jp?tls=required").unwrap();
        assert!(matches!(
            required.encryption,
            Encryption::StartTls { required: true, .. }
        ));
        assert_eq!(required.port, 587);
        let opportunistic = relay("smtp://relay.example.jp:2525?tls=opportunistic").unwrap();
        assert!(matches!(
            opportunistic.encryption,
            Encryption::StartTls { required: false, .. }
        ));
        assert_eq!(opportunistic.port, 2525);
        let implicit = relay("smtps://user:p%40ss@relay.example.jp/mail.kosodate.example").unwrap();
        assert!(matches!(implicit.encryption, Encryption::Implicit(_)));
        assert_eq!(implicit.port, 465);
        assert_eq!(implicit.hello_name.to_string(), "mail.kosodate.example");
        assert!(implicit.credentials.is_some());
    }

    #[test]
    fn unknown_schemes_and_tls_modes_are_refused() {
        assert!(matches!(
            relay("http://relay.example.jp"),
            Err(SmtpUrlError::Scheme)
        ));
        assert!(matches!(
            relay("smtp://relay.example.jp?tls=maybe"),
            Err(SmtpUrlError::Scheme)
        ));
        let mut settings = SmtpSettings::new("smtp://relay.example.jp");
        settings.pool_size = 0;
        assert!(matches!(SmtpRelay::new(&settings), Err(SmtpUrlError::PoolSize)));
    }
}
