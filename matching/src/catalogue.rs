//! The published programs as the matcher needs them, indexed by area so that a household is
//! evaluated only against its municipality's, its prefecture's and the national programs.

use std::collections::HashMap;

use chrono::NaiveDate;
use kosodate_domain::{CalendarDate, MunicipalityCode, ProgramId};
use kosodate_matcher::{Application, Area, EligibilityDocument, ProgramRule};
use kosodate_registry::{
    ApplicationWindow, LifeEvent, Program, ProgramFilter, ProgramOwner, ProgramStatus, Registry, Visibility,
};
use xxhash_rust::xxh3::Xxh3;

use crate::error::MatchingError;

#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub id: ProgramId,
    pub version: i32,
    /// The last version that changed what a parent is told.
    pub material_version: i32,
    pub rule: ProgramRule,
}

/// The published programs with rules, in id order: a program's position is its index, and the
/// digest of the ids and versions names the snapshot that stored match states refer to.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: Vec<CatalogueEntry>,
    positions: HashMap<ProgramId, u32>,
    national: Vec<u32>,
    by_owner: HashMap<MunicipalityCode, Vec<u32>>,
    digest: String,
    /// [`Catalogue::applicable_hash`] of every owner's municipality, computed once.
    applicable_hashes: HashMap<MunicipalityCode, u64>,
    /// Published programs whose eligibility is described in words only.
    pub without_rule: usize,
}

impl Catalogue {
    /// Every published program with a structured rule.
    pub async fn load(registry: &Registry) -> Result<Self, MatchingError> {
        Ok(Self::of_programs(&published_programs(registry).await?))
    }

    /// The programs with a structured rule among `programs` (published ones, as read).
    pub fn of_programs(programs: &[Program]) -> Self {
        let entries: Vec<CatalogueEntry> = programs.iter().filter_map(entry).collect();
        let without_rule = programs.len() - entries.len();
        let mut catalogue = Self::from_entries(entries);
        catalogue.without_rule = without_rule;
        catalogue
    }

    pub fn from_entries(entries: impl IntoIterator<Item = CatalogueEntry>) -> Self {
        let mut entries: Vec<CatalogueEntry> = entries.into_iter().collect();
        entries.sort_by_key(|entry| entry.id);
        entries.dedup_by_key(|entry| entry.id);
        let mut catalogue = Catalogue::default();
        let mut hasher = Xxh3::new();
        for (position, entry) in (0u32..).zip(&entries) {
            hasher.update(entry.id.as_uuid().as_bytes());
            hasher.update(&entry.version.to_le_bytes());
            catalogue.positions.insert(entry.id, position);
            match entry.rule.area {
                Area::National => catalogue.national.push(position),
                Area::Prefecture(code) | Area::Municipality(code) => {
                    catalogue.by_owner.entry(code).or_default().push(position)
                }
            }
        }
        catalogue.digest = format!("{:032x}", hasher.digest128());
        catalogue.entries = entries;
        let owners: Vec<MunicipalityCode> = catalogue.by_owner.keys().copied().collect();
        for owner in owners {
            let hash = catalogue.compute_applicable_hash(owner);
            catalogue.applicable_hashes.insert(owner, hash);
        }
        catalogue
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Identifies the programs and their versions: equal digests, equal positions and versions.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The program ids in position order.
    pub fn ids(&self) -> impl Iterator<Item = ProgramId> + '_ {
        self.entries.iter().map(|entry| entry.id)
    }

    /// The programs in position order, with their versions.
    pub fn entries(&self) -> &[CatalogueEntry] {
        &self.entries
    }

    pub fn position(&self, id: ProgramId) -> Option<u32> {
        self.positions.get(&id).copied()
    }

    pub fn at(&self, position: u32) -> Option<&CatalogueEntry> {
        self.entries.get(position as usize)
    }

    pub fn entry(&self, id: ProgramId) -> Option<&CatalogueEntry> {
        self.position(id).and_then(|position| self.at(position))
    }

    /// A hash of the ids and versions of the programs that apply in `municipality`: the same for
    /// all its households, so computed once per municipality rather than once per household.
    pub fn applicable_hash(&self, municipality: MunicipalityCode) -> u64 {
        match self.applicable_hashes.get(&municipality) {
            Some(hash) => *hash,
            None => self.compute_applicable_hash(municipality),
        }
    }

    fn compute_applicable_hash(&self, municipality: MunicipalityCode) -> u64 {
        let mut hasher = Xxh3::new();
        for (_, entry) in self.applicable(municipality) {
            hasher.update(entry.id.as_uuid().as_bytes());
            hasher.update(&entry.version.to_le_bytes());
        }
        hasher.digest()
    }

    /// The programs that apply to residents of `municipality`, with their positions.
    pub fn applicable(&self, municipality: MunicipalityCode) -> impl Iterator<Item = (u32, &CatalogueEntry)> {
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
            .map(|position| (*position, &self.entries[*position as usize]))
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
        material_version: program.material_version,
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
            opens: from.map_or(NaiveDate::MIN, CalendarDate::date),
            closes: to.map_or(NaiveDate::MAX, CalendarDate::date),
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

/// Every published program, as staff see it: the matcher reads the rule of every program whose
/// area a household lives in.
pub async fn published_programs(registry: &Registry) -> Result<Vec<Program>, MatchingError> {
    let filter = ProgramFilter {
        status: Some(ProgramStatus::Published),
        ..ProgramFilter::default()
    };
    Ok(registry.all_programs(&filter, Visibility::Staff).await?)
}
