//! The one place that says what staff may do. How an identity is established (OpenID Connect
//! sign-in for people, API tokens for machine imports) lives elsewhere; what an identity may do
//! lives here, so that changing the former cannot change the latter. No staff role may see an
//! individual household: the actions below are the whole list, and none reads one.

use kosodate_domain::{MunicipalityCode, PREFECTURE_CODE};

use crate::model::ProgramOwner;

#[derive(Debug, Clone, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum StaffRole {
    /// Staff of one municipality: write that municipality's programs only.
    Municipal(MunicipalityCode),
    /// Prefecture staff: write the prefecture's programs and the national programs the prefecture
    /// curates for its residents; review everything.
    Prefecture,
    /// Operators of the service: write everything.
    Administrator,
}

impl StaffRole {
    /// The stored name, e.g. `municipal`.
    pub fn id(&self) -> &'static str {
        self.into()
    }

    /// The role stored as its [`id`](Self::id) and, for municipal staff, the municipality's code;
    /// `None` when the two do not name a role.
    pub fn from_stored(id: &str, municipality: Option<&str>) -> Option<Self> {
        let code = municipality.map(MunicipalityCode::parse).transpose().ok()?;
        [Self::Administrator, Self::Prefecture]
            .into_iter()
            .chain(code.map(Self::Municipal))
            .find(|role| role.id() == id)
    }

    /// The organisation the role belongs to: a municipality, or the prefecture.
    pub fn organisation(&self) -> Option<MunicipalityCode> {
        match self {
            Self::Municipal(code) => Some(*code),
            Self::Prefecture => Some(PREFECTURE_CODE),
            Self::Administrator => None,
        }
    }
}

/// A person signed in, or a machine holding an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Person,
    /// API tokens exist for scripted imports: they may write programs and nothing else.
    Machine,
}

/// Somebody who changes the registry. `name` is recorded in the history of every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIdentity {
    pub name: String,
    pub role: StaffRole,
    pub credential: Credential,
}

/// Everything staff can ask to do besides reading published programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction<'a> {
    /// Create, change, publish or archive a program of this owner, or import it.
    WriteProgram(&'a ProgramOwner),
    /// See drafts and archived programs, and history.
    ReviewPrograms,
    /// Create, change, publish, archive or import the places and events of this municipality
    /// (or of the prefecture, with its code): its own staff, and the prefecture, which gathers
    /// them for the whole prefecture.
    WritePlaces(MunicipalityCode),
    /// Counts of households (never individuals) of one municipality, or of all (`None`).
    ViewCounts(Option<MunicipalityCode>),
    /// The audit log of one organisation, or all of it (`None`).
    ViewAuditLog(Option<MunicipalityCode>),
    /// Register a resident's household at the counter (窓口代理登録), with paper consent.
    RegisterAtCounter(MunicipalityCode),
    /// See dead-lettered notices (what and why, never to whom) and send them again.
    ManageDeliveries,
    /// The freshness of every municipality's programs: the prefecture's overview.
    ViewFreshness,
    /// The community's moderation queue: hide and restore posts, with a reason.
    ModerateCommunity,
    /// Verify a community member as an expert (保健師, 保育士, 助産師 …) or withdraw it.
    VerifyExperts,
    /// Evidence for policy: search and community trends, always as disclosure-controlled counts.
    ViewInsights,
    /// Register, list, revoke and rotate the credentials of partner apps (issue 19): operators
    /// only, since a partner's scopes reach every program and, with `notices:deliver`, parents.
    ManagePartners,
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
            credential: Credential::Person,
        }
    }

    pub fn administrator(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            role: StaffRole::Administrator,
            credential: Credential::Person,
        }
    }

    /// The same role held by a machine (an API token).
    pub fn as_machine(self) -> Self {
        Self {
            credential: Credential::Machine,
            ..self
        }
    }

    /// Whether this identity may do `action`.
    pub fn permits(&self, action: StaffAction<'_>) -> bool {
        if self.credential == Credential::Machine {
            return matches!(
                action,
                StaffAction::WriteProgram(_) | StaffAction::ReviewPrograms | StaffAction::WritePlaces(_)
            ) && self.permits_as_person(action);
        }
        self.permits_as_person(action)
    }

    fn permits_as_person(&self, action: StaffAction<'_>) -> bool {
        match action {
            StaffAction::WriteProgram(owner) => self.may_write(owner),
            StaffAction::ReviewPrograms => true,
            StaffAction::WritePlaces(code) => match &self.role {
                StaffRole::Administrator | StaffRole::Prefecture => true,
                StaffRole::Municipal(own) => *own == code,
            },
            StaffAction::ViewCounts(scope) | StaffAction::ViewAuditLog(scope) => match (&self.role, scope) {
                (StaffRole::Administrator | StaffRole::Prefecture, _) => true,
                (StaffRole::Municipal(own), Some(code)) => *own == code,
                (StaffRole::Municipal(_), None) => false,
            },
            // Only the municipality's own counter: prefecture staff and operators do not meet
            // residents, and need no access to a household.
            StaffAction::RegisterAtCounter(code) => self.role == StaffRole::Municipal(code),
            // Dead letters say what and why, never to whom: the prefecture oversees delivery
            // for the whole service with the operators.
            StaffAction::ManageDeliveries => {
                matches!(self.role, StaffRole::Administrator | StaffRole::Prefecture)
            }
            // The community and its evidence are the prefecture's, for the whole prefecture.
            StaffAction::ViewFreshness
            | StaffAction::ModerateCommunity
            | StaffAction::VerifyExperts
            | StaffAction::ViewInsights => {
                matches!(self.role, StaffRole::Administrator | StaffRole::Prefecture)
            }
            StaffAction::ManagePartners => self.role == StaffRole::Administrator,
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
    fn roles_read_back_as_stored() {
        let roles = [
            StaffRole::Municipal(code("022021")),
            StaffRole::Prefecture,
            StaffRole::Administrator,
        ];
        for role in roles {
            let municipality = match &role {
                StaffRole::Municipal(code) => Some(code.as_str()),
                _ => None,
            };
            assert_eq!(StaffRole::from_stored(role.id(), municipality), Some(role));
        }
        assert_eq!(StaffRole::from_stored("municipal", None), None);
        assert_eq!(StaffRole::from_stored("municipal", Some("青森市")), None);
        assert_eq!(StaffRole::from_stored("mayor", None), None);
    }

    #[test]
    fn places_are_written_by_their_municipality_and_the_prefecture() {
        let aomori = code("022012");
        let hirosaki = code("022021");
        let clerk = StaffIdentity::for_organisation("clerk", aomori);
        assert!(clerk.permits(StaffAction::WritePlaces(aomori)));
        assert!(!clerk.permits(StaffAction::WritePlaces(hirosaki)));
        assert!(!clerk.permits(StaffAction::WritePlaces(PREFECTURE_CODE)));
        let prefecture = StaffIdentity::for_organisation("prefecture", PREFECTURE_CODE);
        assert!(prefecture.permits(StaffAction::WritePlaces(hirosaki)));
        assert!(
            prefecture
                .as_machine()
                .permits(StaffAction::WritePlaces(PREFECTURE_CODE))
        );
        assert!(StaffIdentity::administrator("operator").permits(StaffAction::WritePlaces(aomori)));
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

    #[test]
    fn staff_see_counts_of_their_own_organisation_only_and_machines_only_write_programs() {
        let aomori = code("022012");
        let hirosaki = code("022021");
        let hirosaki_staff = StaffIdentity::for_organisation("弘前市", hirosaki);
        let prefecture_staff = StaffIdentity::for_organisation("青森県", PREFECTURE_CODE);
        let admin = StaffIdentity::administrator("運用");
        let importer = StaffIdentity::for_organisation("弘前市 取込", hirosaki).as_machine();
        let cases = [
            (&hirosaki_staff, StaffAction::ViewCounts(Some(hirosaki)), true),
            (&hirosaki_staff, StaffAction::ViewCounts(Some(aomori)), false),
            (&hirosaki_staff, StaffAction::ViewCounts(None), false),
            (&prefecture_staff, StaffAction::ViewCounts(None), true),
            (&hirosaki_staff, StaffAction::RegisterAtCounter(hirosaki), true),
            (&hirosaki_staff, StaffAction::RegisterAtCounter(aomori), false),
            (&prefecture_staff, StaffAction::RegisterAtCounter(aomori), false),
            (&admin, StaffAction::RegisterAtCounter(aomori), false),
            (&admin, StaffAction::ViewAuditLog(None), true),
            (
                &importer,
                StaffAction::WriteProgram(&ProgramOwner::Local(hirosaki)),
                true,
            ),
            (&importer, StaffAction::ViewCounts(Some(hirosaki)), false),
            (&importer, StaffAction::RegisterAtCounter(hirosaki), false),
        ];
        for (identity, action, expected) in cases {
            assert_eq!(identity.permits(action), expected, "{identity:?}: {action:?}");
        }
    }
}
