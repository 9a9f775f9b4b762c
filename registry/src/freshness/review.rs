//! Review cycles: when a program's review is due, and 「内容に変更なし」, a review that changes
//! nothing but the review date.

use chrono::{Months, NaiveDate, Utc};
use kosodate_domain::{ProgramId, japan};

use crate::authz::StaffIdentity;
use crate::changes;
use crate::error::RegistryError;
use crate::model::Program;
use crate::store::{Registry, authorize, insert_versions, load_for_update, save_versioned};

impl Program {
    /// The day the next review is due: the last review (or else the publication, or else the
    /// creation) plus the program's cycle.
    pub fn review_due_on(&self) -> NaiveDate {
        let reviewed = self
            .content
            .last_reviewed_on
            .map(|date| date.date())
            .or_else(|| self.published_at.map(japan::date_of))
            .unwrap_or_else(|| japan::date_of(self.created_at));
        reviewed
            .checked_add_months(Months::new(u32::from(self.content.review_cycle_months)))
            .unwrap_or(NaiveDate::MAX)
    }
}

impl Registry {
    /// Records that `actor` reviewed the program and found nothing to change: a `reviewed`
    /// version that moves `last_reviewed_on` to today in Japan and clears the flags raised by
    /// related programs. With `expected_version`, refuses when the program changed meanwhile.
    pub async fn record_review(
        &self,
        actor: &StaffIdentity,
        id: ProgramId,
        expected_version: Option<i32>,
    ) -> Result<Program, RegistryError> {
        let txn = kosodate_database::begin_write(&self.db).await?;
        let current = load_for_update(&txn, id).await?;
        authorize(actor, &current.content.owner)?;
        if let Some(expected) = expected_version.filter(|expected| *expected != current.version) {
            return Err(RegistryError::VersionMismatch {
                expected,
                current: current.version,
            });
        }
        let now = Utc::now();
        let entry = changes::reviewed(&current, now)?;
        save_versioned(&txn, &entry.snapshot, current.version).await?;
        insert_versions(&txn, actor, std::slice::from_ref(&entry)).await?;
        super::flags::clear(&txn, id, now).await?;
        txn.commit().await?;
        Ok(entry.snapshot)
    }
}
