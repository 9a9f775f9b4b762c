//! What a partner may do: a closed list of OAuth 2.0 scopes, granted at registration, and a set
//! of them written as RFC 6749 writes scopes (names separated by spaces).

use std::collections::BTreeSet;
use std::fmt;

use kosodate_domain::Vocabulary;
use serde::{Deserialize, Serialize};
use strum::VariantArray;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
pub enum Scope {
    #[serde(rename = "programs:read")]
    #[strum(to_string = "programs:read", message = "制度の読み取り")]
    ProgramsRead,
    #[serde(rename = "places:read")]
    #[strum(to_string = "places:read", message = "施設の読み取り")]
    PlacesRead,
    #[serde(rename = "events:read")]
    #[strum(to_string = "events:read", message = "イベントの読み取り")]
    EventsRead,
    #[serde(rename = "webhooks:manage")]
    #[strum(to_string = "webhooks:manage", message = "変更通知(Webhook)の管理")]
    WebhooksManage,
    #[serde(rename = "notices:deliver")]
    #[strum(to_string = "notices:deliver", message = "お知らせの配信")]
    NoticesDeliver,
}

/// A set of scopes. Its text form is the names in a fixed order separated by single spaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Scopes(BTreeSet<Scope>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

impl Scopes {
    /// Scopes written as RFC 6749 §3.3 writes them: names separated by spaces, in any order.
    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        text.split(' ')
            .filter(|name| !name.is_empty())
            .map(|name| {
                Scope::VARIANTS
                    .iter()
                    .copied()
                    .find(|scope| scope.id() == name)
                    .ok_or_else(|| UnknownScope(name.to_owned()))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_subset(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::id).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn scopes_read_and_write_as_rfc_6749_lists() {
        let scopes = Scopes::parse("webhooks:manage  programs:read").unwrap();
        assert!(scopes.contains(Scope::ProgramsRead));
        assert!(!scopes.contains(Scope::EventsRead));
        assert_eq!(scopes.to_string(), "programs:read webhooks:manage");
        assert_eq!(Scopes::parse(&scopes.to_string()), Ok(scopes));
        assert_eq!(
            Scopes::parse("programs:write"),
            Err(UnknownScope("programs:write".into()))
        );
        assert!(Scopes::parse("").unwrap().is_empty());
    }

    #[test]
    fn serde_names_are_the_scope_names() {
        assert_eq!(kosodate_domain::serde_names_agree::<Scope>(), Ok(()));
    }
}
