//! How a program changes, as pure functions: the next state and the history entry it records.
//! The single-program API and the bulk importer both use them, and differ only in how they read
//! and write the database.

use chrono::{DateTime, Utc};
use kosodate_domain::Vocabulary;
use kosodate_domain::{CalendarDate, ProgramId};
use serde_json::Value;

use crate::error::RegistryError;
use crate::model::{FieldChange, Program, ProgramAction, ProgramContent, ProgramStatus};
use crate::validation::{FieldError, ValidationErrors};

/// One entry of a program's history, before it is stored.
#[derive(Debug, Clone)]
pub(crate) struct VersionEntry {
    pub snapshot: Program,
    pub action: ProgramAction,
    pub changes: Vec<FieldChange>,
}

const REVIEW_DATE: &str = "last_reviewed_on";

/// The fields whose change is worth telling an eligible household about: what it gets, when and
/// how to apply. A corrected summary or a new contact phone number is not.
pub const MATERIAL_FIELDS: [&str; 4] = [
    "benefit",
    "application_window",
    "application_methods",
    "documents",
];

pub(crate) fn created(
    content: ProgramContent,
    id: ProgramId,
    now: DateTime<Utc>,
) -> Result<VersionEntry, RegistryError> {
    let changes = diff(None, &content)?;
    let program = Program {
        id,
        status: ProgramStatus::Draft,
        version: 1,
        material_version: 1,
        content,
        created_at: now,
        updated_at: now,
        published_at: None,
        archived_at: None,
    };
    Ok(VersionEntry {
        snapshot: program,
        action: ProgramAction::Created,
        changes,
    })
}

/// The program with new content, or `None` when the content is what is stored already.
pub(crate) fn updated(
    current: &Program,
    content: ProgramContent,
    now: DateTime<Utc>,
) -> Result<Option<VersionEntry>, RegistryError> {
    if content.owner != current.content.owner {
        return Err(ValidationErrors(vec![FieldError::new(
            "/owner",
            "実施主体は変更できません（新しい制度として登録してください）",
            "the owner of a program cannot change; create a new program instead",
        )])
        .into());
    }
    let mut content = content;
    let changes = diff(Some(&current.content), &content)?;
    let substantive = changes.iter().any(|change| change.field != REVIEW_DATE);
    if substantive {
        // Whoever changed a program looked at it: that is a review (a later date given with
        // the change stands).
        content.last_reviewed_on = content.last_reviewed_on.max(Some(japan_today(now)?));
    } else if content.last_reviewed_on <= current.content.last_reviewed_on {
        // Only an older review date (a form or a spreadsheet read before the last review):
        // nothing changed. A later one is a review recorded by hand.
        return Ok(None);
    }
    let changes = diff(Some(&current.content), &content)?;
    if changes.is_empty() {
        return Ok(None);
    }
    if current.status == ProgramStatus::Archived {
        return Err(RegistryError::InvalidTransition {
            current: current.status,
            action: "update",
        });
    }
    let version = current.version + 1;
    let material = changes
        .iter()
        .any(|change| MATERIAL_FIELDS.contains(&change.field.as_str()));
    let program = Program {
        version,
        material_version: if material {
            version
        } else {
            current.material_version
        },
        content,
        updated_at: now,
        ..current.clone()
    };
    Ok(Some(VersionEntry {
        snapshot: program,
        action: ProgramAction::Updated,
        changes,
    }))
}

/// 「内容に変更なし」: the program as it is, reviewed on `now`'s Japanese date. An archived
/// program is no longer reviewed.
pub(crate) fn reviewed(current: &Program, now: DateTime<Utc>) -> Result<VersionEntry, RegistryError> {
    if current.status == ProgramStatus::Archived {
        return Err(RegistryError::InvalidTransition {
            current: current.status,
            action: "review",
        });
    }
    let today = japan_today(now)?;
    let change = FieldChange {
        field: REVIEW_DATE.into(),
        before: to_json(&current.content.last_reviewed_on)?,
        after: to_json(&today)?,
    };
    let mut program = Program {
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    program.content.last_reviewed_on = Some(today);
    Ok(VersionEntry {
        snapshot: program,
        action: ProgramAction::Reviewed,
        changes: vec![change],
    })
}

fn japan_today(now: DateTime<Utc>) -> Result<CalendarDate, RegistryError> {
    CalendarDate::try_from(kosodate_domain::japan::date_of(now))
        .map_err(|_| RegistryError::Corrupt("today is outside the calendar".into()))
}

/// Draft → published, draft or published → archived; anything else is refused.
pub(crate) fn transitioned(
    current: &Program,
    status: ProgramStatus,
    now: DateTime<Utc>,
) -> Result<VersionEntry, RegistryError> {
    let (action, verb) = match status {
        ProgramStatus::Published => (ProgramAction::Published, "publish"),
        ProgramStatus::Archived => (ProgramAction::Archived, "archive"),
        ProgramStatus::Draft => (ProgramAction::Updated, "unpublish"),
    };
    let allowed = matches!(
        (current.status, status),
        (ProgramStatus::Draft, ProgramStatus::Published)
            | (
                ProgramStatus::Draft | ProgramStatus::Published,
                ProgramStatus::Archived
            )
    );
    if !allowed {
        return Err(RegistryError::InvalidTransition {
            current: current.status,
            action: verb,
        });
    }
    let program = Program {
        status,
        version: current.version + 1,
        updated_at: now,
        published_at: match status {
            ProgramStatus::Published => Some(now),
            _ => current.published_at,
        },
        archived_at: match status {
            ProgramStatus::Archived => Some(now),
            _ => current.archived_at,
        },
        ..current.clone()
    };
    let change = FieldChange {
        field: "status".into(),
        before: Value::from(current.status.id()),
        after: Value::from(status.id()),
    };
    Ok(VersionEntry {
        snapshot: program,
        action,
        changes: vec![change],
    })
}

/// The top-level fields whose values differ, with both values; `None` as `before` means created.
pub(crate) fn diff(
    before: Option<&ProgramContent>,
    after: &ProgramContent,
) -> Result<Vec<FieldChange>, RegistryError> {
    let after = to_json(after)?;
    let before = before.map(to_json).transpose()?.unwrap_or(Value::Null);
    let Value::Object(after) = after else {
        return Err(RegistryError::Corrupt("program content is not an object".into()));
    };
    Ok(after
        .into_iter()
        .filter_map(|(field, after)| {
            let before = before.get(&field).cloned().unwrap_or(Value::Null);
            (before != after).then_some(FieldChange { field, before, after })
        })
        .collect())
}

pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<Value, RegistryError> {
    serde_json::to_value(value).map_err(|error| RegistryError::Corrupt(error.to_string()))
}
