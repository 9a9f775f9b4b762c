//! Notice delivery. It owns the durable outbox (`notices`, `notice_attempts`), the worker that
//! claims and delivers it, the templates that render a notice, the signed action links, quiet
//! hours and digests, and the channels a notice travels through: email (SMTP, or the file mailbox
//! of the embedded default), LINE, Web Push and partner apps' signed webhooks. It must not depend on the registry, the matcher,
//! the households crate or HTTP routing: it receives notice content and addresses, never programs
//! or households, so that a delivery problem cannot reach personal data it was not given.

pub mod channel;
pub mod channels;
pub mod content;
mod entity;
pub mod held;
pub mod links;
mod mailbox;
pub mod outbox;
pub mod schedule;
pub mod send_slots;
pub mod template;
pub mod worker;

pub use channel::{
    Address, Channel, ChannelKind, Delivered, DeliveryError, Envelope, Link, PartnerAppLink,
    PushSubscription, RenderedNotice, Urgency,
};
pub use content::{EventNotice, NoticeContent, NoticeKind, ProgramNotice, QuestionNotice};
pub use links::{LinkSigner, NoticeAction};
pub use mailbox::{FileMailbox, MailboxError, MailboxReceipt};
pub use outbox::{NoticeDraft, NoticeStatus, OutboxError};
pub use schedule::{QuietHours, RetryPolicy};
pub use worker::{DeliveryHooks, GoneAddress, Worker, WorkerConfig};
