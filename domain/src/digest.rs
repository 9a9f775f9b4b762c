//! SHA-256 in lower-case hex: what is stored instead of a secret someone holds (a session, a
//! sign-in's state, a verification link, a calendar feed's address, a partner's access token),
//! which finds its row and opens nothing; and the fingerprint of an uploaded file.

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, in lower-case hex (64 characters).
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_its_bytes_have_the_standard_digest() {
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex("abc"), abc);
        assert_eq!(sha256_hex(b"abc"), abc);
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
