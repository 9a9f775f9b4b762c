//! Places and events in this process, said once for the JSON API and the pages: the examples of
//! the embedded default, where a list is asked for (municipality, region, owner) as a query
//! string gives it, and each staff write and import recorded in the audit log with its outcome.

use kosodate_domain::{CalendarDate, MunicipalityCode, Vocabulary};
use kosodate_places::import::{ImportKind, ImportReport, Sheet};
use kosodate_places::{Area, Event, Place, Places, PlacesError};
use kosodate_registry::StaffIdentity;
use kosodate_registry::audit::{self, AuditActor, AuditEvent, Outcome};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::state::AppState;

/// The example places and events, into an empty database only.
pub async fn load_examples(places: &Places) -> anyhow::Result<()> {
    if let Some(loaded) = places.load_examples_if_empty().await? {
        tracing::info!(
            places = loaded.places,
            events = loaded.events,
            "example places and events loaded"
        );
    }
    Ok(())
}

/// A stored record with an owner: what an audit entry names.
pub trait Owned {
    fn owner(&self) -> MunicipalityCode;
    fn id(&self) -> Uuid;
}

/// A record with what else the action made (a review request).
impl<T: Owned, U> Owned for (T, U) {
    fn owner(&self) -> MunicipalityCode {
        self.0.owner()
    }

    fn id(&self) -> Uuid {
        self.0.id()
    }
}

impl Owned for Place {
    fn owner(&self) -> MunicipalityCode {
        self.content.owner
    }

    fn id(&self) -> Uuid {
        self.id
    }
}

impl Owned for Event {
    fn owner(&self) -> MunicipalityCode {
        self.content.owner
    }

    fn id(&self) -> Uuid {
        self.id
    }
}

/// Records a staff write on a place or an event with its outcome, then hands the result on.
pub async fn audited<T: Owned>(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    action: &'static str,
    target: Option<Uuid>,
    result: Result<T, PlacesError>,
) -> Result<T, ApiError> {
    let (outcome, municipality, target) = match &result {
        Ok(record) => (Outcome::Allowed, Some(record.owner()), Some(record.id())),
        Err(PlacesError::Forbidden { owner, .. }) => (Outcome::Denied, Some(*owner), target),
        Err(_) => (Outcome::Failed, None, target),
    };
    let event = AuditEvent {
        actor: AuditActor::Staff(staff),
        action,
        target: target.map(|id| id.to_string()),
        municipality,
        outcome,
        request_id: context.request_id.clone(),
    };
    audit::record(state.registry.connection(), event).await?;
    Ok(result?)
}

/// Imports with its audit entry (a check, or the import itself) and its outcome. The import's
/// own refusal comes back as it is (a page lists a file's problems); failing to audit is an error.
pub async fn import_audited(
    state: &AppState,
    staff: &StaffIdentity,
    context: &RequestContext,
    kind: ImportKind,
    sheet: &Sheet,
    dry_run: bool,
) -> Result<Result<ImportReport, PlacesError>, ApiError> {
    let result = state.places.import(staff, kind, sheet, dry_run).await;
    let outcome = match &result {
        Ok(_) => Outcome::Allowed,
        Err(kosodate_places::PlacesError::Forbidden { .. }) => Outcome::Denied,
        Err(_) => Outcome::Failed,
    };
    let action = match (kind, dry_run) {
        (ImportKind::Places, true) => "place.import_check",
        (ImportKind::Places, false) => "place.import",
        (ImportKind::Events, true) => "event.import_check",
        (ImportKind::Events, false) => "event.import",
    };
    crate::audit::staff_action(state, staff, context, action, staff.role.organisation(), outcome).await?;
    Ok(result)
}

/// Where a list is asked for: a municipality (with the prefecture's records), a region (東青 …,
/// its id or its name), or exactly one owner.
pub fn area(municipality: Option<&str>, region: Option<&str>, owner: Option<&str>) -> Result<Area, ApiError> {
    let code = |parameter: &str, raw: &str| {
        MunicipalityCode::parse(raw)
            .map_err(|error| ApiError::invalid_query(parameter, error.message_ja(), error.to_string()))
    };
    let region = region
        .map(|raw| {
            kosodate_community::Region::parse(raw)
                .map(|region| region.label_ja().to_owned())
                .ok_or_else(|| {
                    ApiError::invalid_query(
                        "region",
                        "地域は東青・中南・三八・西北・上北・下北のいずれかを指定してください",
                        format!("unknown region {raw:?}"),
                    )
                })
        })
        .transpose()?;
    Ok(Area {
        municipality: municipality.map(|raw| code("municipality", raw)).transpose()?,
        region,
        owner: owner.map(|raw| code("owner", raw)).transpose()?,
    })
}

/// A date in a query string.
pub fn query_date(parameter: &str, raw: Option<&str>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    raw.map(|raw| {
        CalendarDate::parse(raw)
            .map(CalendarDate::date)
            .map_err(|error| ApiError::invalid_query(parameter, error.message_ja(), error.to_string()))
    })
    .transpose()
}

/// The regions a list may be asked for: each region's id, its name and its name with 地域.
pub fn region_schema() -> utoipa::openapi::schema::Object {
    use strum::VariantArray;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let regions = kosodate_community::Region::VARIANTS;
    let names = regions.iter().flat_map(|region| {
        [
            region.id().to_owned(),
            region.label_ja().to_owned(),
            format!("{}地域", region.label_ja()),
        ]
    });
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.collect::<Vec<_>>()))
        .build()
}

/// The oldest age in months a list filters by (20 years), as the query's schema says.
pub const AGE_MONTHS_MAX: u16 = 240;

/// A child's age in months in a query string.
pub fn query_age_months(age_months: Option<u16>) -> Result<Option<i32>, ApiError> {
    match age_months {
        Some(months) if months > AGE_MONTHS_MAX => Err(ApiError::invalid_query(
            "age_months",
            format!("月齢は0から{AGE_MONTHS_MAX}の間で指定してください"),
            format!("age_months must be 0 to {AGE_MONTHS_MAX}"),
        )),
        other => Ok(other.map(i32::from)),
    }
}
