//! The signed one-click 「内容に変更なし」 link in a review reminder. The token names the program,
//! the version the reminder was sent for, the staff member it was sent to and when it expires,
//! signed with a key the service generates (HMAC-SHA-256, as the notices' action links), so that
//! nothing is stored per link and a link cannot be altered to review another program.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use kosodate_domain::ProgramId;
use sha2::Sha256;
use uuid::Uuid;

/// Truncated MAC: 128 bits are far beyond guessing through an HTTP endpoint.
const MAC_BYTES: usize = 16;
/// Program id, version, staff id, expiry (seconds since 1970).
const PAYLOAD_BYTES: usize = 16 + 4 + 16 + 8;

/// What a review link stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewClaim {
    pub program: ProgramId,
    pub version: i32,
    pub staff: Uuid,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct ReviewLinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for ReviewLinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReviewLinkSigner(..)")
    }
}

impl ReviewLinkSigner {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload);
        mac
    }

    pub fn token(&self, claim: &ReviewClaim) -> String {
        let mut bytes = Vec::with_capacity(PAYLOAD_BYTES + MAC_BYTES);
        bytes.extend_from_slice(claim.program.as_uuid().as_bytes());
        bytes.extend_from_slice(&claim.version.to_be_bytes());
        bytes.extend_from_slice(claim.staff.as_bytes());
        bytes.extend_from_slice(&claim.expires_at.timestamp().to_be_bytes());
        let tag = self.mac(&bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..MAC_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// What the token stands for, if it is one of ours (expired or not: the page says which).
    pub fn verify(&self, token: &str) -> Option<ReviewClaim> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() != PAYLOAD_BYTES + MAC_BYTES {
            return None;
        }
        let (payload, tag) = bytes.split_at(PAYLOAD_BYTES);
        self.mac(payload).verify_truncated_left(tag).ok()?;
        let program = Uuid::from_slice(&payload[..16]).ok()?;
        let version = i32::from_be_bytes(payload[16..20].try_into().ok()?);
        let staff = Uuid::from_slice(&payload[20..36]).ok()?;
        let expires = i64::from_be_bytes(payload[36..44].try_into().ok()?);
        Some(ReviewClaim {
            program: ProgramId::from(program),
            version,
            staff,
            expires_at: DateTime::from_timestamp(expires, 0)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_and_an_altered_one_does_not() {
        let signer = ReviewLinkSigner::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let claim = ReviewClaim {
            program: ProgramId::new(),
            version: 7,
            staff: Uuid::now_v7(),
            expires_at: DateTime::from_timestamp(1_900_000_000, 0).expect("a date"),
        };
        let token = signer.token(&claim);
        assert_eq!(signer.verify(&token), Some(claim));
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        bytes[17] ^= 1;
        assert_eq!(signer.verify(&URL_SAFE_NO_PAD.encode(bytes)), None);
        let other = ReviewLinkSigner::new(b"another key, just as long as it.".to_vec());
        assert_eq!(other.verify(&token), None);
    }
}
