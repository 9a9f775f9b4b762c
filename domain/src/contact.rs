use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An email address a household gave for notices. Personal data: `Debug` prints no part of it,
/// so a stray `{:?}` in a log line cannot leak it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid email address")]
pub struct EmailAddressError;

impl EmailAddress {
    /// Accepts what RFC 5321 can deliver to (checked by the `email_address` crate) and stores the
    /// domain in lower case, since domains are case-insensitive and duplicates would otherwise slip
    /// past the unique key. The local part keeps its case: servers may distinguish it.
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let trimmed = input.trim();
        if trimmed.len() > 254 {
            return Err(EmailAddressError);
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default().without_display_text(),
        )
        .map_err(|_| EmailAddressError)?;
        let domain = parsed.domain();
        // A dotless domain is valid syntax but never a deliverable public address.
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(EmailAddressError);
        }
        Ok(Self(format!("{}@{}", parsed.local_part(), domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("EmailAddress(<redacted>)")
    }
}

/// A LINE user id: `U` and 32 lowercase hexadecimal digits. It is the same id for one provider's
/// LINE Login channel (`sub`) and Messaging API channel, which is how a household that signs in
/// with LINE can receive notices there. Personal data: `Debug` prints no part of it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LineUserId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a LINE user id is U followed by 32 hexadecimal digits")]
pub struct LineUserIdError;

impl LineUserId {
    pub fn parse(input: &str) -> Result<Self, LineUserIdError> {
        let trimmed = input.trim();
        let valid = trimmed.len() == 33
            && trimmed.starts_with('U')
            && trimmed[1..]
                .bytes()
                .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
        match valid {
            true => Ok(Self(trimmed.to_owned())),
            false => Err(LineUserIdError),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LineUserId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("LineUserId(<redacted>)")
    }
}

macro_rules! string_serde {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(EmailAddress);
string_serde!(LineUserId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        let parsed = EmailAddress::parse(" Hanako.Aomori@Example.JP ").unwrap();
        assert_eq!(parsed.as_str(), "Hanako.Aomori@example.jp");
        for bad in [
            "",
            "hanako",
            "hanako@",
            "@example.jp",
            "hanako@localhost",
            "a b@example.jp",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(format!("{parsed:?}"), "EmailAddress(<redacted>)");
    }

    #[test]
    fn line_user_ids() {
        let id = "U4af4980629a1b2c3d4e5f60718293a4b";
        assert_eq!(LineUserId::parse(id).unwrap().as_str(), id);
        for bad in [
            "",
            "u4af4980629a1b2c3d4e5f60718293a4b",
            "U4af498",
            "U4AF4980629A1B2C3D4E5F60718293A4B",
        ] {
            assert!(LineUserId::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(!format!("{:?}", LineUserId::parse(id).unwrap()).contains("4af4"));
    }
}
