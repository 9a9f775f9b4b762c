//! Notice delivery. It owns the channels a notice travels through and, as the notifier grows, the
//! outbox that makes delivery durable. Today it provides the file mailbox that the embedded default
//! delivers email into, so a developer can read every message the service sends without an SMTP
//! server. It must not depend on the registry, the matcher or HTTP routing: it receives rendered
//! messages and addresses, never programs or households.

mod mailbox;

pub use mailbox::{FileMailbox, MailboxError};
