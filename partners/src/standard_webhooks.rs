//! Signing and verifying webhooks as the Standard Webhooks specification describes
//! (<https://www.standardwebhooks.com/>): a message has an id that stays the same on every retry
//! (`webhook-id`), the Unix second it was signed at (`webhook-timestamp`), and one or more
//! signatures (`webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
//! separated by spaces while a secret is being rotated). The key is the base64 after `whsec_`.
//! A receiver refuses a timestamp more than [`TOLERANCE`] away from its clock, so that a captured
//! request cannot be replayed later; within the tolerance it drops ids it has seen.
//!
//! The clock is the caller's: signing and verifying take the instant, so tests can stand at
//! either edge of the tolerance.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// How far a message's timestamp may be from the receiver's clock, either way.
pub const TOLERANCE: TimeDelta = TimeDelta::minutes(5);

const PREFIX: &str = "whsec_";
const VERSION: &str = "v1";
/// The specification asks for keys of 24 to 64 bytes.
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;
/// What we generate: the specification's own examples use 24; more costs nothing.
const GENERATED_KEY_BYTES: usize = 32;

/// A signing secret, `whsec_` and the base64 of 24 to 64 bytes. Its `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret {
    text: String,
    key: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningSecretError {
    #[error("a signing secret starts with whsec_")]
    Prefix,
    #[error("a signing secret's key must be base64")]
    Base64,
    #[error("a signing secret's key must be 24 to 64 bytes, not {0}")]
    Length(usize),
}

impl SigningSecret {
    pub fn parse(text: &str) -> Result<Self, SigningSecretError> {
        let encoded = text.strip_prefix(PREFIX).ok_or(SigningSecretError::Prefix)?;
        let key = STANDARD.decode(encoded).map_err(|_| SigningSecretError::Base64)?;
        if !KEY_BYTES.contains(&key.len()) {
            return Err(SigningSecretError::Length(key.len()));
        }
        Ok(Self {
            text: text.to_owned(),
            key,
        })
    }

    /// A new secret from the operating system's randomness (through `rand`'s thread generator).
    pub fn generate() -> Self {
        let mut key = vec![0_u8; GENERATED_KEY_BYTES];
        rand::rng().fill_bytes(&mut key);
        Self {
            text: format!("{PREFIX}{}", STANDARD.encode(&key)),
            key,
        }
    }

    /// The secret as the partner configures it (`whsec_…`): to show once, and to store.
    pub fn expose(&self) -> &str {
        &self.text
    }

    fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
        // Any key length is accepted by HMAC: `new_from_slice` cannot fail here.
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(whsec_…)")
    }
}

/// The three headers of a signed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
}

impl SignedHeaders {
    /// Name and value of each header, to set on a request.
    pub fn pairs(&self) -> [(&'static str, String); 3] {
        [
            (HEADER_ID, self.id.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }
}

/// Signs `body` as message `id` at `at` with every secret given (the current one, and during a
/// rotation the one before), so that a receiver holding either accepts it.
pub fn sign<'a>(
    secrets: impl IntoIterator<Item = &'a SigningSecret>,
    id: &str,
    at: DateTime<Utc>,
    body: &[u8],
) -> SignedHeaders {
    let timestamp = at.timestamp();
    let signature = secrets
        .into_iter()
        .map(|secret| {
            format!(
                "{VERSION},{}",
                STANDARD.encode(secret.signature(id, timestamp, body))
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    SignedHeaders {
        id: id.to_owned(),
        timestamp,
        signature,
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("header {0} is missing or not text")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a number of seconds")]
    InvalidTimestamp,
    #[error("the message was signed too long ago")]
    TooOld,
    #[error("the message is signed in the future")]
    TooNew,
    #[error("no signature matches")]
    InvalidSignature,
}

/// A message whose signature and timestamp held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub id: String,
    pub timestamp: i64,
}

/// Verifies a received message against `secret` at the receiver's `now`: the timestamp must be
/// within [`TOLERANCE`] and one of the `v1` signatures must match (compared in constant time).
pub fn verify(
    secret: &SigningSecret,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .ok_or(VerifyError::MissingHeader(name))
    };
    let id = header(HEADER_ID)?;
    let timestamp: i64 = header(HEADER_TIMESTAMP)?
        .parse()
        .map_err(|_| VerifyError::InvalidTimestamp)?;
    let signatures = header(HEADER_SIGNATURE)?;
    let tolerance = TOLERANCE.num_seconds();
    if now.timestamp() - timestamp > tolerance {
        return Err(VerifyError::TooOld);
    }
    if timestamp - now.timestamp() > tolerance {
        return Err(VerifyError::TooNew);
    }
    let expected = secret.signature(id, timestamp, body);
    let matches = signatures
        .split(' ')
        .filter_map(|versioned| versioned.split_once(','))
        .filter(|(version, _)| *version == VERSION)
        .filter_map(|(_, encoded)| STANDARD.decode(encoded).ok())
        .any(|candidate| bool::from(candidate.ct_eq(&expected)));
    if !matches {
        return Err(VerifyError::InvalidSignature);
    }
    Ok(Verified {
        id: id.to_owned(),
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;

    /// The test vector of the specification's reference implementations.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn at(timestamp: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(timestamp, 0).unwrap()
    }

    fn headers(signed: &SignedHeaders) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in signed.pairs() {
            map.insert(name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn signs_the_published_test_vector() {
        let secret = SigningSecret::parse(SECRET).unwrap();
        let signed = sign([&secret], ID, at(TIMESTAMP), BODY.as_bytes());
        assert_eq!(signed.signature, SIGNATURE);
        assert_eq!(
            verify(&secret, &headers(&signed), BODY.as_bytes(), at(TIMESTAMP)),
            Ok(Verified {
                id: ID.into(),
                timestamp: TIMESTAMP
            })
        );
    }

    #[test]
    fn refuses_timestamps_beyond_the_tolerance_either_way() {
        let secret = SigningSecret::parse(SECRET).unwrap();
        let signed = headers(&sign([&secret], ID, at(TIMESTAMP), BODY.as_bytes()));
        let edge = TOLERANCE.num_seconds();
        let check = |offset: i64| verify(&secret, &signed, BODY.as_bytes(), at(TIMESTAMP + offset));
        assert!(check(edge).is_ok());
        assert!(check(-edge).is_ok());
        assert_eq!(check(edge + 1), Err(VerifyError::TooOld));
        assert_eq!(check(-edge - 1), Err(VerifyError::TooNew));
    }

    #[test]
    fn refuses_another_body_id_or_secret_and_accepts_either_secret_of_a_rotation() {
        let secret = SigningSecret::parse(SECRET).unwrap();
        let other = SigningSecret::generate();
        let signed = sign([&other, &secret], ID, at(TIMESTAMP), BODY.as_bytes());
        let now = at(TIMESTAMP);
        assert!(verify(&secret, &headers(&signed), BODY.as_bytes(), now).is_ok());
        assert!(verify(&other, &headers(&signed), BODY.as_bytes(), now).is_ok());
        let mut tampered = headers(&signed);
        tampered.insert(HEADER_ID, "msg_other".parse().unwrap());
        assert_eq!(
            verify(&secret, &tampered, BODY.as_bytes(), now),
            Err(VerifyError::InvalidSignature)
        );
        assert_eq!(
            verify(&secret, &headers(&signed), b"{}", now),
            Err(VerifyError::InvalidSignature)
        );
        let stranger = SigningSecret::generate();
        assert_eq!(
            verify(&stranger, &headers(&signed), BODY.as_bytes(), now),
            Err(VerifyError::InvalidSignature)
        );
        let mut unsigned = headers(&signed);
        unsigned.remove(HEADER_SIGNATURE);
        assert_eq!(
            verify(&secret, &unsigned, BODY.as_bytes(), now),
            Err(VerifyError::MissingHeader(HEADER_SIGNATURE))
        );
    }

    #[test]
    fn secrets_are_whsec_and_24_to_64_bytes() {
        let generated = SigningSecret::generate();
        assert_eq!(SigningSecret::parse(generated.expose()), Ok(generated.clone()));
        assert!(!format!("{generated:?}").contains(&generated.expose()[6..]));
        assert_eq!(
            SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            Err(SigningSecretError::Prefix)
        );
        assert_eq!(SigningSecret::parse("whsec_!!"), Err(SigningSecretError::Base64));
        assert_eq!(
            SigningSecret::parse(&format!("whsec_{}", STANDARD.encode([0_u8; 16]))),
            Err(SigningSecretError::Length(16))
        );
    }
}
