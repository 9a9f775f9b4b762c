//! Recording staff actions and personal-data access in the audit log, from the handlers. A
//! failure to write the audit log fails the request: an action that cannot be accounted for is
//! not acknowledged.

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_domain::{CalendarDate, Vocabulary, japan};
use kosodate_households::HouseholdId;
use kosodate_registry::audit::{self, AuditActor, AuditEvent, AuditFilter, Outcome};
use kosodate_registry::page::PageRequest;
use kosodate_registry::{Program, ProgramOwner, RegistryError, StaffAction, StaffIdentity};
use serde::Deserialize;

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
pub async fn program_action<T: OnProgram>(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: &'static str,
    target: Option<String>,
    result: Result<T, RegistryError>,
) -> Result<T, ApiError> {
    let (outcome, municipality, target) = match result.as_ref().map(OnProgram::program) {
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

/// What a program action answers with: the program it touched, alone or with what else the
/// action made (a review request).
pub trait OnProgram {
    fn program(&self) -> &Program;
}

impl OnProgram for Program {
    fn program(&self) -> &Program {
        self
    }
}

impl<T> OnProgram for (Program, T) {
    fn program(&self) -> &Program {
        &self.0
    }
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

/// Records a staff action on one thing that is not a program (a community post, a member), with
/// its outcome.
pub async fn staff_action_on(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: &'static str,
    target: String,
    outcome: Outcome,
) -> Result<(), ApiError> {
    let event = AuditEvent {
        actor: AuditActor::Staff(staff),
        action,
        target: Some(target),
        municipality: None,
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

/// Which audit entries to read, as the API's query string and the audit page's filter form both
/// give it; checked once, here.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[param(schema_with = kosodate_registry::seed::municipality_code_schema)]
    pub municipality: Option<String>,
    /// An action (`program.publish`), or every action of a kind when it ends in a dot (`program.`).
    pub action: Option<String>,
    /// `allowed`, `denied` or `failed`.
    #[param(schema_with = outcome_schema)]
    pub outcome: Option<String>,
    /// Entries from this day (Japan), `YYYY-MM-DD`.
    #[param(value_type = Option<CalendarDate>)]
    pub from: Option<String>,
    /// Entries up to and including this day (Japan), `YYYY-MM-DD`.
    #[param(value_type = Option<CalendarDate>)]
    pub until: Option<String>,
    /// How many entries to return: 1 to 500, default 50 (more counts as 500, 0 as 1).
    #[param(schema_with = kosodate_registry::page::limit_schema)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    #[param(schema_with = kosodate_registry::page::cursor_schema)]
    pub cursor: Option<String>,
}

/// The outcomes an audit entry records, by their ids.
fn outcome_schema() -> utoipa::openapi::schema::Object {
    use strum::VariantArray;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Outcome::VARIANTS.iter().map(|outcome| outcome.id())))
        .build()
}

impl AuditQuery {
    pub fn filter(&self) -> Result<AuditFilter, ApiError> {
        // The API takes what it is given: an empty value is a wrong value, not an absent one (a
        // form's empty fields are dropped by `without_empty_fields` first).
        let present = |value: &Option<String>| value.clone();
        let scope = present(&self.municipality)
            .map(|raw| {
                MunicipalityCode::parse(&raw).map_err(|error| {
                    ApiError::invalid_query("municipality", error.message_ja(), error.to_string())
                })
            })
            .transpose()?;
        let outcome = present(&self.outcome)
            .map(|raw| {
                Outcome::parse(&raw).ok_or_else(|| {
                    ApiError::invalid_query(
                        "outcome",
                        "結果は allowed（許可）・denied（拒否）・failed（失敗）のいずれかを指定してください",
                        format!("unknown outcome {raw:?}"),
                    )
                })
            })
            .transpose()?;
        let day = |parameter: &str, value: &Option<String>| {
            present(value)
                .map(|raw| {
                    CalendarDate::parse(&raw).map(NaiveDate::from).map_err(|error| {
                        ApiError::invalid_query(parameter, error.message_ja(), error.to_string())
                    })
                })
                .transpose()
        };
        let from = day("from", &self.from)?.map(japan::start_of);
        let until = day("until", &self.until)?
            .and_then(|last| last.succ_opt())
            .map(japan::start_of);
        Ok(AuditFilter {
            scope,
            action: present(&self.action),
            outcome,
            from,
            until,
        })
    }

    /// The query as an HTML form sends it, with its empty fields meaning "any".
    pub fn without_empty_fields(self) -> Self {
        let given = |value: Option<String>| value.filter(|text| !text.trim().is_empty());
        Self {
            municipality: given(self.municipality),
            action: given(self.action),
            outcome: given(self.outcome),
            from: given(self.from),
            until: given(self.until),
            limit: self.limit,
            cursor: given(self.cursor),
        }
    }

    pub fn page(&self) -> PageRequest {
        PageRequest {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}
