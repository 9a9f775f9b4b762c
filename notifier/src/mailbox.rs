use std::path::{Path, PathBuf};

use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

/// Email delivery into a directory, one `.eml` file per message: the embedded default's stand-in
/// for SMTP. Files are written whole by lettre, so a reader never sees half a message.
#[derive(Debug, Clone)]
pub struct FileMailbox {
    directory: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("cannot create mailbox directory {path}")]
    CreateDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write message to mailbox")]
    Write(#[from] lettre::transport::file::Error),
}

impl FileMailbox {
    pub fn open(directory: &Path) -> Result<Self, MailboxError> {
        std::fs::create_dir_all(directory).map_err(|source| MailboxError::CreateDirectory {
            path: directory.to_owned(),
            source,
        })?;
        Ok(Self {
            directory: directory.to_owned(),
            transport: AsyncFileTransport::new(directory),
        })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Writes the message and returns the id of the file it went into.
    pub async fn deliver(&self, message: Message) -> Result<String, MailboxError> {
        Ok(self.transport.send(message).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_delivered_message_is_a_readable_file() {
        let directory = tempfile::tempdir().unwrap();
        let mailbox = FileMailbox::open(&directory.path().join("mailbox")).unwrap();
        let message = Message::builder()
            .from("noreply@kosodate.example".parse().unwrap())
            .to("parent@example.jp".parse().unwrap())
            .subject("児童手当の申請期限が近づいています")
            .body(String::from("本文"))
            .unwrap();
        let id = mailbox.deliver(message).await.unwrap();
        let written = std::fs::read_to_string(mailbox.directory().join(format!("{id}.eml"))).unwrap();
        assert!(written.contains("parent@example.jp"));
    }
}
