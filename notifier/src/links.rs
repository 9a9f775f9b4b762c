//! The links in a notice that act without signing in: "applied already", "not interested",
//! "unsubscribe". Each carries the notice id, the action and which of the notice's programs it
//! is about, signed with the service's key
//! (HMAC-SHA-256), so nothing needs storing per link and a link cannot be altered to act on
//! another notice.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use strum::VariantArray;
use uuid::Uuid;

/// What a link does; the label is the link's text in a notice.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray, strum::EnumMessage,
)]
#[strum(serialize_all = "snake_case")]
pub enum NoticeAction {
    /// The household applied: no more reminders for the program.
    #[strum(message = "申請済みにする")]
    Applied,
    /// Not interested: no more notices about the program.
    #[strum(message = "この制度のお知らせは不要")]
    NotInterested,
    /// No more notices through this channel.
    #[strum(message = "この方法での配信を停止")]
    Unsubscribe,
}

impl NoticeAction {
    /// The action's byte in a link token: fixed forever, as links already sent carry it.
    fn code(self) -> u8 {
        match self {
            Self::Applied => 1,
            Self::NotInterested => 2,
            Self::Unsubscribe => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        Self::VARIANTS
            .iter()
            .copied()
            .find(|action| action.code() == code)
    }
}

/// Truncated MAC: 128 bits are far beyond guessing through an HTTP endpoint.
const MAC_BYTES: usize = 16;
/// Notice id, action, program position.
const PAYLOAD_BYTES: usize = 18;

/// Makes and checks action links.
#[derive(Clone)]
pub struct LinkSigner {
    base: url::Url,
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSigner")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl LinkSigner {
    /// `base` is where people reach the service; `key` at least 32 random bytes.
    pub fn new(base: url::Url, key: Vec<u8>) -> Self {
        Self { base, key }
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload);
        mac
    }

    /// `program`: the position of the program among the notice's programs (0 for most notices).
    pub fn token(&self, notice: Uuid, action: NoticeAction, program: u8) -> String {
        let mut bytes = Vec::with_capacity(PAYLOAD_BYTES + MAC_BYTES);
        bytes.extend_from_slice(notice.as_bytes());
        bytes.push(action.code());
        bytes.push(program);
        let tag = self.mac(&bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn url(&self, notice: Uuid, action: NoticeAction, program: u8) -> url::Url {
        let token = self.token(notice, action, program);
        let mut url = self.base.clone();
        url.set_path(&format!("{}notices/actions/{token}", base_path(&self.base)));
        url
    }

    /// The notice, action and program position a token stands for, if the token is one of ours.
    pub fn verify(&self, token: &str) -> Option<(Uuid, NoticeAction, u8)> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != PAYLOAD_BYTES + MAC_BYTES {
            return None;
        }
        let (payload, tag) = bytes.split_at(PAYLOAD_BYTES);
        self.mac(payload).verify_truncated_left(tag).ok()?;
        let notice = Uuid::from_slice(&payload[..16]).ok()?;
        Some((notice, NoticeAction::from_code(payload[16])?, payload[17]))
    }
}

fn base_path(base: &url::Url) -> String {
    let path = base.path();
    if path.ends_with('/') {
        path.to_owned()
    } else {
        format!("{path}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LinkSigner {
        let base = url::Url::parse("https://kosodate.example/app").unwrap_or_else(|_| unreachable!());
        LinkSigner::new(base, vec![7; 32])
    }

    #[test]
    fn every_action_keeps_its_token_byte_and_has_a_label() {
        use kosodate_domain::Vocabulary;

        for action in NoticeAction::VARIANTS.iter().copied() {
            assert_eq!(NoticeAction::from_code(action.code()), Some(action));
            assert_ne!(action.label_ja(), action.id(), "{action:?} has a Japanese label");
        }
        let codes: Vec<u8> = NoticeAction::VARIANTS
            .iter()
            .map(|action| action.code())
            .collect();
        assert_eq!(codes, [1, 2, 3]);
        assert_eq!(NoticeAction::parse("申請済みにする"), Some(NoticeAction::Applied));
    }

    #[test]
    fn a_link_names_its_notice_and_action_and_cannot_be_altered() {
        let signer = signer();
        let notice = Uuid::now_v7();
        let url = signer.url(notice, NoticeAction::Applied, 2);
        assert!(
            url.as_str()
                .starts_with("https://kosodate.example/app/notices/actions/")
        );
        let token = url.path().rsplit('/').next().unwrap_or_default();
        assert_eq!(signer.verify(token), Some((notice, NoticeAction::Applied, 2)));

        let mut bytes = URL_SAFE_NO_PAD.decode(token).unwrap_or_default();
        bytes[16] = NoticeAction::Unsubscribe.code();
        assert_eq!(signer.verify(&URL_SAFE_NO_PAD.encode(&bytes)), None);
        let other_key = LinkSigner::new(
            url::Url::parse("https://x.example/").unwrap_or_else(|_| unreachable!()),
            vec![8; 32],
        );
        assert_eq!(other_key.verify(token), None);
        assert_eq!(signer.verify("garbage"), None);
    }
}
