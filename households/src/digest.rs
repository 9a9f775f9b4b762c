//! What is stored instead of a secret a parent holds (a verification link, a calendar feed's
//! address): its SHA-256, which finds the row and opens nothing.

use sha2::{Digest, Sha256};

/// The SHA-256 of `secret`, in lower-case hex.
pub(crate) fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
