//! Real peers on loopback for the tests: an SMTP server (PyPI `aiosmtpd`, installed by
//! `scripts/ensure-smtp-server.sh`) whose mail the tests read back, an HTTP server that
//! implements the LINE Messaging API push contract, a Web Push receiver that checks VAPID and
//! decrypts payloads with the subscription's private key, and a partner app receiving Standard
//! Webhooks (`partner`). It must not depend on any kosodate
//! crate: the peers know the protocols, not the product.

pub mod line;
pub mod partner;
pub mod smtp;
pub mod web_push;
