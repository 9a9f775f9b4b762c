//! The one permission rule for writing to the registry. How a staff identity is established (an
//! API token today, OpenID Connect sign-in later) lives elsewhere; what an identity may do lives
//! here, so that changing the former cannot change the latter.

use kosodate_domain::{MunicipalityCode, PREFECTURE_CODE};

use crate::model::ProgramOwner;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffRole {
    /// Staff of one municipality: write that municipality's programs only.
    Municipal(MunicipalityCode),
    /// Prefecture staff: write the prefecture's programs and the national programs the prefecture
    /// curates for its residents; review everything.
    Prefecture,
    /// Operators of the service: write everything.
    Administrator,
}

/// Somebody who changes the registry. `name` is recorded in the history of every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIdentity {
    pub name: String,
    pub role: StaffRole,
}

impl StaffIdentity {
    /// The role that staff of the given organisation have: the prefecture's code makes prefecture
    /// staff, any other code municipal staff.
    pub fn for_organisation(name: impl Into<String>, code: MunicipalityCode) -> Self {
        let role = match code == PREFECTURE_CODE {
            true => StaffRole::Prefecture,
            false => StaffRole::Municipal(code),
        };
        Self {
            name: name.into(),
            role,
        }
    }

    pub fn administrator(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role: StaffRole::Administrator,
        }
    }

    /// Whether this identity may create, change, publish or archive a program of `owner`.
    pub fn may_write(&self, owner: &ProgramOwner) -> bool {
        match (&self.role, owner) {
            (StaffRole::Administrator, _) => true,
            (StaffRole::Prefecture, ProgramOwner::National) => true,
            (StaffRole::Prefecture, ProgramOwner::Local(code)) => *code == PREFECTURE_CODE,
            (StaffRole::Municipal(own), ProgramOwner::Local(code)) => code == own,
            (StaffRole::Municipal(_), ProgramOwner::National) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> MunicipalityCode {
        MunicipalityCode::parse(raw).unwrap()
    }

    #[test]
    fn the_permission_matrix() {
        let aomori = ProgramOwner::Local(code("022012"));
        let hirosaki = ProgramOwner::Local(code("022021"));
        let prefecture = ProgramOwner::Local(PREFECTURE_CODE);
        let national = ProgramOwner::National;
        let hirosaki_staff = StaffIdentity::for_organisation("弘前市", code("022021"));
        let prefecture_staff = StaffIdentity::for_organisation("青森県", PREFECTURE_CODE);
        let admin = StaffIdentity::administrator("運用");
        let cases = [
            (&hirosaki_staff, &hirosaki, true),
            (&hirosaki_staff, &aomori, false),
            (&hirosaki_staff, &prefecture, false),
            (&hirosaki_staff, &national, false),
            (&prefecture_staff, &prefecture, true),
            (&prefecture_staff, &national, true),
            (&prefecture_staff, &aomori, false),
            (&admin, &aomori, true),
            (&admin, &national, true),
        ];
        for (identity, owner, expected) in cases {
            assert_eq!(identity.may_write(owner), expected, "{identity:?} on {owner}");
        }
    }
}
