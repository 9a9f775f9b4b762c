//! The published programs as the matcher needs them, indexed by area so that a household is
//! evaluated only against its municipality's, its prefecture's and the national programs.

use std::collections::HashMap;

use chrono::NaiveDate;
use kosodate_domain::{MunicipalityCode, ProgramId};
use kosodate_matcher::{Application, Area, EligibilityDocument, ProgramRule};
use kosodate_registry::{
    ApplicationWindow, LifeEvent, Program, ProgramFilter, ProgramOwner, ProgramStatus, Registry, Visibility,
};

use crate::error::HouseholdError;

#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub id: ProgramId,
    pub version: i32,
    pub rule: ProgramRule,
}

#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: Vec<CatalogueEntry>,
    national: Vec<usize>,
    by_owner: HashMap<MunicipalityCode, Vec<usize>>,
    /// Published programs whose eligibility is described in words only.
    pub without_rule: usize,
}

impl Catalogue {
    /// Every published program with a structured rule.
    pub async fn load(registry: &Registry) -> Result<Self, HouseholdError> {
        let filter = ProgramFilter {
            status: Some(ProgramStatus::Published),
            ..ProgramFilter::default()
        };
        let programs = registry.all_programs(&filter, Visibility::Staff).await?;
        let mut catalogue = Catalogue::default();
        for program in programs {
            match entry(&program) {
                Some(entry) => catalogue.push(entry),
                None => catalogue.without_rule += 1,
            }
        }
        Ok(catalogue)
    }

    pub fn from_entries(entries: impl IntoIterator<Item = CatalogueEntry>) -> Self {
        let mut catalogue = Catalogue::default();
        for entry in entries {
            catalogue.push(entry);
        }
        catalogue
    }

    fn push(&mut self, entry: CatalogueEntry) {
        let index = self.entries.len();
        match entry.rule.area {
            Area::National => self.national.push(index),
            Area::Prefecture(code) | Area::Municipality(code) => {
                self.by_owner.entry(code).or_default().push(index)
            }
        }
        self.entries.push(entry);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = ProgramId> + '_ {
        self.entries.iter().map(|entry| entry.id)
    }

    pub fn entry(&self, id: ProgramId) -> Option<&CatalogueEntry> {
        self.entries.iter().find(|entry| entry.id == id)
    }

    /// The programs that apply to residents of `municipality`.
    pub fn applicable(&self, municipality: MunicipalityCode) -> impl Iterator<Item = &CatalogueEntry> {
        let prefecture = self
            .by_owner
            .get(&municipality.prefecture())
            .into_iter()
            .flatten();
        let local = self.by_owner.get(&municipality).into_iter().flatten();
        self.national
            .iter()
            .chain(prefecture)
            .chain(local)
            .map(|index| &self.entries[*index])
    }
}

/// The matcher's view of a registry program; `None` when it has no structured rule.
pub fn entry(program: &Program) -> Option<CatalogueEntry> {
    let rule = EligibilityDocument::parse(&program.content.eligibility)
        .ok()?
        .into_rule()?;
    let owner = match program.content.owner {
        ProgramOwner::National => None,
        ProgramOwner::Local(code) => Some(code),
    };
    Some(CatalogueEntry {
        id: program.id,
        version: program.version,
        rule: ProgramRule {
            area: Area::of_owner(owner),
            rule,
            application: application(&program.content.application_window),
        },
    })
}

pub fn application(window: &ApplicationWindow) -> Application {
    match window {
        ApplicationWindow::Always => Application::Always,
        ApplicationWindow::Fixed { from, to } => Application::Between {
            opens: from.unwrap_or(NaiveDate::MIN),
            closes: to.unwrap_or(NaiveDate::MAX),
        },
        ApplicationWindow::Relative {
            event: LifeEvent::Birth,
            within_days,
        } => Application::AfterBirth {
            within_days: *within_days,
        },
        ApplicationWindow::Relative { within_days, .. } => Application::AfterOtherEvent {
            within_days: *within_days,
        },
    }
}
