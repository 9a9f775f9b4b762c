//! A real SMTP server on loopback: `smtp-server/server.py` (PyPI `aiosmtpd`) in the virtualenv
//! that `scripts/ensure-smtp-server.sh` prepares. Every accepted message lands as one file in a
//! temporary directory, which the tests read back as [`ReceivedMail`].
//!
//! The server runs as a child process with its stdin piped from here: it exits when that pipe
//! closes, so even a test that aborts leaves no server behind.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use mail_parser::{MessageParser, PartType};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Which recipients the server refuses, and how (addresses compare case-insensitively); whether
/// it encrypts and asks for a password.
#[derive(Debug, Clone, Default)]
pub struct SmtpServerBuilder {
    rejected: Vec<String>,
    deferred: Vec<String>,
    refused_data: Vec<String>,
    encryption: Encryption,
    credentials: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Encryption {
    #[default]
    None,
    StartTls,
    Implicit,
}

/// The CA (PEM) that issued the certificate the server presents for 127.0.0.1 with
/// [`SmtpServerBuilder::starttls`] or [`SmtpServerBuilder::implicit_tls`].
pub const TEST_CA_PEM: &[u8] = include_bytes!("../smtp-server/tls/ca.pem");

impl SmtpServerBuilder {
    /// RCPT for this address gets `550 5.1.1 mailbox unavailable`.
    pub fn reject_recipient(mut self, address: &str) -> Self {
        self.rejected.push(address.to_owned());
        self
    }

    /// RCPT for this address gets `450 4.2.1 mailbox busy, try again later`.
    pub fn defer_recipient(mut self, address: &str) -> Self {
        self.deferred.push(address.to_owned());
        self
    }

    /// RCPT for this address is accepted, and the message then refused at DATA with
    /// `550 5.7.1 message refused by policy`.
    pub fn refuse_data_for(mut self, address: &str) -> Self {
        self.refused_data.push(address.to_owned());
        self
    }

    /// The server offers STARTTLS and refuses mail without it.
    pub fn starttls(mut self) -> Self {
        self.encryption = Encryption::StartTls;
        self
    }

    /// The server speaks TLS from the first byte (`smtps://`).
    pub fn implicit_tls(mut self) -> Self {
        self.encryption = Encryption::Implicit;
        self
    }

    /// The server refuses mail before AUTH with these credentials (PLAIN or LOGIN).
    pub fn require_auth(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self
    }

    pub async fn start(self) -> anyhow::Result<SmtpServer> {
        let python = venv_python();
        if !python.exists() {
            bail!(
                "the test smtp server is not installed ({} is missing): run scripts/ensure-smtp-server.sh",
                python.display()
            );
        }
        let directory = tempfile::tempdir().context("cannot create the smtp server's directory")?;
        let mut server = SmtpServer {
            settings: self,
            directory,
            port: 0,
            process: None,
        };
        server.spawn().await?;
        Ok(server)
    }

    fn arguments(&self) -> Vec<String> {
        let options = [
            ("--reject-recipient", &self.rejected),
            ("--defer-recipient", &self.deferred),
            ("--refuse-data-for", &self.refused_data),
        ];
        options
            .into_iter()
            .flat_map(|(option, addresses)| {
                addresses.iter().flat_map(move |a| [option.to_owned(), a.clone()])
            })
            .chain(match self.encryption {
                Encryption::None => None,
                Encryption::StartTls => Some("--tls".to_owned()),
                Encryption::Implicit => Some("--implicit-tls".to_owned()),
            })
            .chain(
                self.credentials
                    .iter()
                    .flat_map(|(user, password)| ["--auth".to_owned(), format!("{user}:{password}")]),
            )
            .collect()
    }
}

/// A running test SMTP server. Dropping it kills the server and deletes its mail.
#[derive(Debug)]
pub struct SmtpServer {
    settings: SmtpServerBuilder,
    directory: TempDir,
    port: u16,
    process: Option<Process>,
}

#[derive(Debug)]
struct Process {
    child: Child,
    // Never written: held so that the server sees end-of-file only when we are gone.
    _stdin: ChildStdin,
}

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The SMTP envelope: `MAIL FROM` and the accepted `RCPT TO` addresses.
    pub envelope_from: String,
    pub envelope_recipients: Vec<String>,
    /// The `Message-ID` header as written, angle brackets included.
    pub message_id: Option<String>,
    /// Addresses of the `To` header.
    pub to: Vec<String>,
    /// Decoded (RFC 2047) subject.
    pub subject: Option<String>,
    /// The first text/plain and text/html parts, transfer encoding and charset decoded, line
    /// breaks as `\n` (SMTP carries them as CRLF).
    pub text_body: Option<String>,
    pub html_body: Option<String>,
    /// Every header in order, values unfolded and trimmed but not decoded.
    pub headers: Vec<(String, String)>,
    /// The DATA bytes as received.
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl SmtpServer {
    /// A server that accepts every recipient.
    pub async fn start() -> anyhow::Result<Self> {
        Self::builder().start().await
    }

    pub fn builder() -> SmtpServerBuilder {
        SmtpServerBuilder::default()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL the email channel takes: plain `smtp://`, `smtp://…?tls=required` or `smtps://`,
    /// with the credentials the server requires.
    pub fn url(&self) -> String {
        let credentials = match &self.settings.credentials {
            Some((user, password)) => format!("{user}:{password}@"),
            None => String::new(),
        };
        let (scheme, query) = match self.settings.encryption {
            Encryption::None => ("smtp", ""),
            Encryption::StartTls => ("smtp", "?tls=required"),
            Encryption::Implicit => ("smtps", ""),
        };
        format!("{scheme}://{credentials}127.0.0.1:{}{query}", self.port)
    }

    /// Kills the server; connections to its port are refused until [`Self::restart`].
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(mut process) = self.process.take() {
            process
                .child
                .kill()
                .await
                .context("cannot stop the smtp server")?;
        }
        Ok(())
    }

    /// Starts the server again on the same port, keeping the mail received so far.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.spawn().await
    }

    /// Every message received so far (across restarts), in order of arrival.
    pub fn messages(&self) -> anyhow::Result<Vec<ReceivedMail>> {
        let mut paths = Vec::new();
        for entry in fs::read_dir(self.maildir()).context("cannot read the smtp server's mail")? {
            let path = entry?.path();
            // Names starting with a dot are messages still being written.
            let stored = path.extension().is_some_and(|e| e == "json")
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if stored {
                paths.push(path);
            }
        }
        paths.sort();
        paths.iter().map(|path| read_stored_mail(path)).collect()
    }

    /// Waits until at least `count` messages have arrived and returns them all.
    pub async fn wait_for_count(&self, count: usize, timeout: Duration) -> anyhow::Result<Vec<ReceivedMail>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages()?;
            if messages.len() >= count {
                return Ok(messages);
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "{} of {count} messages arrived within {timeout:?}",
                    messages.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn maildir(&self) -> PathBuf {
        self.directory.path().join("mail")
    }

    fn stderr_log(&self) -> PathBuf {
        self.directory.path().join("server-stderr.log")
    }

    /// Starts the process on `self.port` (0 the first time: the server picks a free port and
    /// reports it, which leaves no window for another process to take it).
    async fn spawn(&mut self) -> anyhow::Result<()> {
        // A file rather than a pipe: nobody reads stderr while the server runs, and a full pipe
        // would stall it.
        let stderr = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.stderr_log())
            .context("cannot create the smtp server's log")?;
        let mut child = Command::new(venv_python())
            .arg(server_script())
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--maildir")
            .arg(self.maildir())
            .args(self.settings.arguments())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true)
            .spawn()
            .context("cannot start the smtp server")?;
        let ready = tokio::time::timeout(READY_TIMEOUT, read_ready_port(&mut child)).await;
        let port = match ready {
            Ok(Ok(port)) => port,
            Ok(Err(error)) => return Err(self.startup_failure(child, &error.to_string()).await),
            Err(_) => {
                return Err(self
                    .startup_failure(child, &format!("not ready within {READY_TIMEOUT:?}"))
                    .await);
            }
        };
        let stdin = child
            .stdin
            .take()
            .context("the smtp server's stdin is not piped")?;
        self.port = port;
        self.process = Some(Process { child, _stdin: stdin });
        Ok(())
    }

    async fn startup_failure(&self, mut child: Child, problem: &str) -> anyhow::Error {
        let _ = child.kill().await;
        let stderr = fs::read_to_string(self.stderr_log()).unwrap_or_default();
        anyhow::anyhow!("the smtp server did not start: {problem}; its stderr:\n{stderr}")
    }
}

async fn read_ready_port(child: &mut Child) -> anyhow::Result<u16> {
    let stdout = child
        .stdout
        .take()
        .context("the smtp server's stdout is not piped")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await?;
    let port = line
        .trim()
        .strip_prefix("ready ")
        .with_context(|| format!("expected \"ready <port>\", got {line:?}"))?;
    Ok(port.parse()?)
}

fn smtp_server_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("smtp-server")
}

fn venv_python() -> PathBuf {
    smtp_server_directory().join(".venv/bin/python")
}

fn server_script() -> PathBuf {
    smtp_server_directory().join("server.py")
}

#[derive(serde::Deserialize)]
struct StoredMail {
    mail_from: String,
    rcpt_tos: Vec<String>,
    /// Base64: the DATA need not be UTF-8.
    data: String,
}

fn read_stored_mail(path: &Path) -> anyhow::Result<ReceivedMail> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let stored: StoredMail = serde_json::from_reader(std::io::BufReader::new(file))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let raw = BASE64.decode(stored.data)?;
    let mut mail = parse_mail(&raw).with_context(|| format!("{} is not a mail message", path.display()))?;
    mail.envelope_from = stored.mail_from;
    mail.envelope_recipients = stored.rcpt_tos;
    Ok(mail)
}

fn parse_mail(raw: &[u8]) -> anyhow::Result<ReceivedMail> {
    let message = MessageParser::default()
        .parse(raw)
        .context("mail-parser cannot parse it")?;
    let headers: Vec<(String, String)> = message
        .headers_raw()
        .map(|(name, value)| (name.to_owned(), unfold(value)))
        .collect();
    let message_id = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Message-ID"))
        .map(|(_, value)| value.clone());
    let to = message
        .to()
        .map(|to| to.iter().filter_map(|a| a.address()).map(str::to_owned).collect())
        .unwrap_or_default();
    let text_body = message.parts.iter().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.replace("\r\n", "\n")),
        _ => None,
    });
    let html_body = message.parts.iter().find_map(|part| match &part.body {
        PartType::Html(html) => Some(html.replace("\r\n", "\n")),
        _ => None,
    });
    Ok(ReceivedMail {
        envelope_from: String::new(),
        envelope_recipients: Vec::new(),
        message_id,
        to,
        subject: message.subject().map(str::to_owned),
        text_body,
        html_body,
        headers,
        raw: raw.to_vec(),
    })
}

/// Folding puts a line break before whitespace; removing the breaks undoes it (RFC 5322 §2.2.3).
fn unfold(value: &str) -> String {
    value.replace(['\r', '\n'], "").trim().to_owned()
}
