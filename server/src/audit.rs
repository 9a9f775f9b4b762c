//! Recording staff actions and personal-data access in the audit log, from the handlers. A
//! failure to write the audit log fails the request: an action that cannot be accounted for is
//! not acknowledged.

use kosodate_domain::MunicipalityCode;
use kosodate_households::HouseholdId;
use kosodate_registry::audit::{self, AuditActor, AuditEvent, Outcome};
use kosodate_registry::{Program, ProgramOwner, RegistryError, StaffAction, StaffIdentity};

use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::state::AppState;

fn owner_code(owner: &ProgramOwner) -> Option<MunicipalityCode> {
    match owner {
        ProgramOwner::Local(code) => Some(*code),
        ProgramOwner::National => None,
    }
}

/// Records a staff action on a program with its outcome, then hands the result on.
pub async fn program_action(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: &'static str,
    target: Option<String>,
    result: Result<Program, RegistryError>,
) -> Result<Program, ApiError> {
    let (outcome, municipality, target) = match &result {
        Ok(program) => (
            Outcome::Allowed,
            owner_code(&program.content.owner),
            Some(program.id.to_string()),
        ),
        Err(RegistryError::Forbidden { owner, .. }) => (Outcome::Denied, owner_code(owner), target),
        Err(_) => (Outcome::Failed, None, target),
    };
    let event = AuditEvent {
        actor: AuditActor::Staff(staff),
        action,
        target,
        municipality,
        outcome,
        request_id: context.request_id.clone(),
    };
    audit::record(state.registry.connection(), event).await?;
    Ok(result?)
}

/// Records any other staff action.
pub async fn staff_action(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: &'static str,
    municipality: Option<MunicipalityCode>,
    outcome: Outcome,
) -> Result<(), ApiError> {
    let event = AuditEvent {
        actor: AuditActor::Staff(staff),
        action,
        target: None,
        municipality,
        outcome,
        request_id: context.request_id.clone(),
    };
    Ok(audit::record(state.registry.connection(), event).await?)
}

/// Records an access to a household's personal data by someone (its parent, or counter staff).
pub async fn personal_data(
    state: &AppState,
    actor: AuditActor<'_>,
    context: &RequestContext,
    action: &'static str,
    household: Option<HouseholdId>,
    municipality: Option<MunicipalityCode>,
) -> Result<(), ApiError> {
    let event = AuditEvent {
        actor,
        action,
        target: household.map(|id| format!("household:{id}")),
        municipality,
        outcome: Outcome::Allowed,
        request_id: context.request_id.clone(),
    };
    Ok(audit::record(state.registry.connection(), event).await?)
}

/// Checks `action` for `staff`, records the decision, and answers 403 when it is denied.
pub async fn authorize(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: StaffAction<'_>,
    audit_action: &'static str,
    municipality: Option<MunicipalityCode>,
) -> Result<(), ApiError> {
    let allowed = staff.permits(action);
    let outcome = match allowed {
        true => Outcome::Allowed,
        false => Outcome::Denied,
    };
    staff_action(state, staff, context, audit_action, municipality, outcome).await?;
    match allowed {
        true => Ok(()),
        false => Err(ApiError::forbidden(
            "この操作の権限がありません。所属する団体のデータのみ扱えます",
            format!("{} may not {audit_action}", staff.name),
        )),
    }
}
