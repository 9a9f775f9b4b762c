use std::path::{Path, PathBuf};

use lettre::Message;
use uuid::Uuid;

/// Email delivery into a directory, one `.eml` file per message: the embedded default's stand-in
/// for SMTP. A message is written under a temporary name and renamed, so a reader never sees half
/// a message.
#[derive(Debug, Clone)]
pub struct FileMailbox {
    directory: PathBuf,
}

/// Where a delivered message went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxReceipt {
    /// The file's name without `.eml`.
    pub id: String,
    /// A message with the same `Message-ID` was already there and has been replaced.
    pub repeat: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("cannot create mailbox directory {path}")]
    CreateDirectory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write message {path} to mailbox")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FileMailbox {
    pub fn open(directory: &Path) -> Result<Self, MailboxError> {
        std::fs::create_dir_all(directory).map_err(|source| MailboxError::CreateDirectory {
            path: directory.to_owned(),
            source,
        })?;
        Ok(Self {
            directory: directory.to_owned(),
        })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// Writes the message into `{id}.eml`.
    pub async fn deliver(&self, message: Message) -> Result<MailboxReceipt, MailboxError> {
        let id = file_id(&message);
        let path = self.directory.join(format!("{id}.eml"));
        let repeat = tokio::fs::try_exists(&path).await.unwrap_or(false);
        // Unique per attempt, so that two writers of the same message cannot interleave in one file.
        let temporary = self.directory.join(format!(".{id}.{}.tmp", Uuid::now_v7()));
        let written = match tokio::fs::write(&temporary, message.formatted()).await {
            Ok(()) => tokio::fs::rename(&temporary, &path).await,
            Err(error) => Err(error),
        };
        if let Err(source) = written {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(MailboxError::Write { path, source });
        }
        Ok(MailboxReceipt { id, repeat })
    }
}

/// A message is named after its `Message-ID` when that is a plain one (ours are
/// `<notice id@domain>`), so that delivering a notice again after a crash replaces its file
/// instead of adding a second copy. Anything else gets a fresh, time-ordered name.
fn file_id(message: &Message) -> String {
    message
        .headers()
        .get_raw("Message-ID")
        .map(|value| value.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|id| is_plain_file_name(id))
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned)
}

fn is_plain_file_name(id: &str) -> bool {
    id.len() <= 200
        && id.starts_with(|first: char| first.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"._@+-".contains(&byte))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn message(message_id: Option<&str>) -> Message {
        let builder = Message::builder()
            .from("noreply@kosodate.example".parse().unwrap())
            .to("parent@example.jp".parse().unwrap())
            .subject("児童手当の申請期限が近づいています");
        let builder = match message_id {
            Some(id) => builder.message_id(Some(id.to_owned())),
            None => builder,
        };
        builder.body(String::from("本文")).unwrap()
    }

    #[tokio::test]
    async fn a_delivered_message_is_a_readable_file() {
        let directory = tempfile::tempdir().unwrap();
        let mailbox = FileMailbox::open(&directory.path().join("mailbox")).unwrap();
        let receipt = mailbox.deliver(message(None)).await.unwrap();
        let written =
            std::fs::read_to_string(mailbox.directory().join(format!("{}.eml", receipt.id))).unwrap();
        assert!(written.contains("parent@example.jp"));
        assert!(!receipt.repeat);
    }

    #[tokio::test]
    async fn the_same_message_id_replaces_its_file() {
        let directory = tempfile::tempdir().unwrap();
        let mailbox = FileMailbox::open(directory.path()).unwrap();
        let id = "<0190f0e2-8c1b-7a6e-9a3c-2b1f0e4d5c6a@kosodate.example>";
        let first = mailbox.deliver(message(Some(id))).await.unwrap();
        let second = mailbox.deliver(message(Some(id))).await.unwrap();
        assert_eq!(first.id, "0190f0e2-8c1b-7a6e-9a3c-2b1f0e4d5c6a@kosodate.example");
        assert_eq!(second.id, first.id);
        assert!(second.repeat);
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn a_message_id_unfit_for_a_file_name_is_not_used_as_one() {
        let directory = tempfile::tempdir().unwrap();
        let mailbox = FileMailbox::open(directory.path()).unwrap();
        let receipt = mailbox
            .deliver(message(Some("<../../etc/passwd>")))
            .await
            .unwrap();
        assert!(Uuid::parse_str(&receipt.id).is_ok());
    }
}
