//! Registering a resident's household at a municipal counter (窓口代理登録), said once for the
//! JSON API (`POST /api/v1/staff/households`) and the staff page (`/staff/counter`): who may (the
//! municipality's own staff, checked and audited), and the registration itself with the paper
//! consents, its audit entry as an access to personal data, and matching started for it. Each
//! caller reads and validates its own input; nothing here shows the household back.

use kosodate_domain::MunicipalityCode;
use kosodate_households::{ConsentPurpose, HouseholdId, PaperForm, Registration, ValidHousehold};
use kosodate_registry::audit::AuditActor;
use kosodate_registry::{StaffAction, StaffIdentity};

use crate::audit;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::state::AppState;

/// Whether `staff` may register households at the counter of `municipality` (recorded either way).
pub async fn authorize(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    municipality: MunicipalityCode,
) -> Result<(), ApiError> {
    audit::authorize(
        state,
        staff,
        context,
        StaffAction::RegisterAtCounter(municipality),
        "household.register_at_counter",
        Some(municipality),
    )
    .await
}

/// Stores the household with the consents the resident signed on paper, records the access,
/// and matches it in the background. Call [`authorize`] first.
pub async fn register(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    valid: &ValidHousehold,
    consents: Vec<ConsentPurpose>,
    paper_form: Option<PaperForm>,
) -> Result<HouseholdId, ApiError> {
    let municipality = valid.household.municipality;
    let registration = Registration::Counter {
        staff: staff.name.clone(),
        consents,
        paper_form,
    };
    let id = state.households.register(valid, &registration).await?;
    audit::personal_data(
        state,
        AuditActor::Staff(staff),
        context,
        "household.create",
        Some(id),
        Some(municipality),
    )
    .await?;
    crate::rematch::household_later(state.matching.clone(), id);
    Ok(id)
}
