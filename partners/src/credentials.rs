//! The random strings a partner holds: its public client id, its client secret and its access
//! tokens. Secrets and tokens carry 256 random bits, so a salted SHA-256 stores them safely (a
//! slow password hash protects guessable passwords, which these are not) and the check compares
//! in constant time. The prefixes tell a leaked string's kind at a glance (secret scanners).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const CLIENT_ID_PREFIX: &str = "kp_";
const CLIENT_SECRET_PREFIX: &str = "kps_";
const ACCESS_TOKEN_PREFIX: &str = "kpt_";

fn random_text(prefix: &str, bytes: usize) -> String {
    let mut random = vec![0_u8; bytes];
    rand::rng().fill_bytes(&mut random);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random))
}

pub(crate) fn new_client_id() -> String {
    random_text(CLIENT_ID_PREFIX, 16)
}

pub(crate) fn new_client_secret() -> String {
    random_text(CLIENT_SECRET_PREFIX, 32)
}

pub(crate) fn new_access_token() -> String {
    random_text(ACCESS_TOKEN_PREFIX, 32)
}

/// Whether `text` is shaped like one of our access tokens: others (staff tokens) are not looked
/// up among partners' tokens.
pub fn looks_like_access_token(text: &str) -> bool {
    text.starts_with(ACCESS_TOKEN_PREFIX)
}

/// An access token is found by its SHA-256 (hex): the token itself is never stored.
pub(crate) fn token_hash(token: &str) -> String {
    kosodate_domain::digest::sha256_hex(token)
}

/// A client secret as stored: a random salt and SHA-256(salt ‖ secret), both in hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretHash {
    pub salt: String,
    pub hash: String,
}

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        let mut salt = [0_u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = hex::encode(salt);
        let hash = salted(&salt, secret);
        Self { salt, hash }
    }

    /// Whether `secret` is the one hashed, in time that does not depend on where they differ.
    pub fn matches(&self, secret: &str) -> bool {
        salted(&self.salt, secret)
            .as_bytes()
            .ct_eq(self.hash.as_bytes())
            .into()
    }
}

fn salted(salt: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(secret.as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_its_hash_only() {
        let secret = new_client_secret();
        let hash = SecretHash::of(&secret);
        assert!(hash.matches(&secret));
        assert!(!hash.matches(&new_client_secret()));
        assert!(!hash.matches(""));
        assert_ne!(
            SecretHash::of(&secret).salt,
            hash.salt,
            "every hash has its own salt"
        );
    }

    #[test]
    fn strings_have_their_prefix_and_256_random_bits() {
        let token = new_access_token();
        assert!(looks_like_access_token(&token));
        assert_eq!(token.len(), ACCESS_TOKEN_PREFIX.len() + 43);
        assert!(new_client_id().starts_with(CLIENT_ID_PREFIX));
        assert_ne!(new_client_secret(), new_client_secret());
        assert_eq!(token_hash(&token).len(), 64);
    }
}
