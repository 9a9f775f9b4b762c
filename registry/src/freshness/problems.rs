//! Each program's problems and each municipality's freshness counts, as the staff pages show
//! them: read in a few queries over the programs that are not archived, the link checker's states
//! and the open flags.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kosodate_domain::{MunicipalityCode, ProgramId};

use super::REVIEW_DUE_SOON_DAYS;
use super::flags::{RelatedChange, open_flags};
use super::links::{LinkState, link_states};
use crate::error::RegistryError;
use crate::model::{Municipality, Program, ProgramOwner, ProgramStatus};
use crate::store::{ProgramFilter, Registry, Visibility};

/// Something about a program that its owner should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramProblem {
    ReviewOverdue {
        due_on: NaiveDate,
    },
    ReviewDueSoon {
        due_on: NaiveDate,
    },
    BrokenLink {
        url: String,
        since: DateTime<Utc>,
    },
    /// No phone, no email address and no web page to ask.
    MissingContact,
    /// Eligibility in words only: the matcher cannot tell anybody they are eligible.
    NoStructuredRule,
    RelatedProgramChanged(RelatedChange),
}

impl ProgramProblem {
    /// What staff read, in Japanese.
    pub fn message_ja(&self) -> String {
        use kosodate_domain::japan::format_date;
        match self {
            Self::ReviewOverdue { due_on } => {
                format!("内容の確認期限（{}）を過ぎています", format_date(*due_on))
            }
            Self::ReviewDueSoon { due_on } => {
                format!("内容の確認期限（{}）が近づいています", format_date(*due_on))
            }
            Self::BrokenLink { url, .. } => format!("リンク切れ: {url}"),
            Self::MissingContact => "問い合わせ先（電話・メール・ウェブページ）がありません".to_owned(),
            Self::NoStructuredRule => "対象者の条件（判定ルール）が設定されていません".to_owned(),
            Self::RelatedProgramChanged(change) => {
                format!("国・県の制度が変更されました（{}）", change.changed_program_name)
            }
        }
    }
}

/// A program with its review date and problems.
#[derive(Debug, Clone)]
pub struct ProgramFreshness {
    pub program: Program,
    pub review_due_on: NaiveDate,
    pub problems: Vec<ProgramProblem>,
}

/// One municipality's line in the prefecture's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityFreshness {
    pub municipality: Municipality,
    /// Its own programs that are not archived.
    pub programs: u64,
    pub overdue_reviews: u64,
    /// Broken URLs among its programs' (a URL two programs name counts for each).
    pub broken_links: u64,
}

/// What problems are judged against: the link states and open flags of the programs at hand.
struct Evidence {
    links: BTreeMap<String, LinkState>,
    flags: BTreeMap<ProgramId, Vec<RelatedChange>>,
}

impl Registry {
    /// The programs of `owner` that are not archived, each with its problems on `today`.
    pub async fn program_freshness(
        &self,
        owner: ProgramOwner,
        today: NaiveDate,
    ) -> Result<Vec<ProgramFreshness>, RegistryError> {
        let filter = ProgramFilter {
            owner: Some(owner),
            ..ProgramFilter::default()
        };
        let programs = self.current_programs(&filter).await?;
        let evidence = self.evidence(&programs).await?;
        Ok(programs
            .into_iter()
            .map(|program| evidence.assess(program, today))
            .collect())
    }

    /// One program's problems on `today` (an archived program has none).
    pub async fn program_problems(
        &self,
        id: ProgramId,
        today: NaiveDate,
    ) -> Result<Vec<ProgramProblem>, RegistryError> {
        let program = self.program(id, Visibility::Staff).await?;
        if program.status == ProgramStatus::Archived {
            return Ok(Vec::new());
        }
        let evidence = self.evidence(std::slice::from_ref(&program)).await?;
        Ok(evidence.assess(program, today).problems)
    }

    /// The prefecture's table: every municipality (the prefecture itself left out) with its
    /// programs, overdue reviews and broken links on `today`, in code order.
    pub async fn municipality_freshness(
        &self,
        today: NaiveDate,
    ) -> Result<Vec<MunicipalityFreshness>, RegistryError> {
        let programs = self.current_programs(&ProgramFilter::default()).await?;
        let evidence = self.evidence(&programs).await?;
        let mut lines: BTreeMap<MunicipalityCode, MunicipalityFreshness> = self
            .all_municipalities()
            .await?
            .iter()
            .filter(|municipality| !municipality.code.is_prefecture())
            .map(|municipality| {
                let line = MunicipalityFreshness {
                    municipality: municipality.clone(),
                    programs: 0,
                    overdue_reviews: 0,
                    broken_links: 0,
                };
                (municipality.code, line)
            })
            .collect();
        for program in programs {
            let ProgramOwner::Local(code) = program.content.owner else {
                continue;
            };
            let Some(line) = lines.get_mut(&code) else {
                continue;
            };
            let assessed = evidence.assess(program, today);
            line.programs += 1;
            for problem in &assessed.problems {
                match problem {
                    ProgramProblem::ReviewOverdue { .. } => line.overdue_reviews += 1,
                    ProgramProblem::BrokenLink { .. } => line.broken_links += 1,
                    _ => {}
                }
            }
        }
        Ok(lines.into_values().collect())
    }

    async fn current_programs(&self, filter: &ProgramFilter) -> Result<Vec<Program>, RegistryError> {
        let programs = self.all_programs(filter, Visibility::Staff).await?;
        Ok(programs
            .into_iter()
            .filter(|program| program.status != ProgramStatus::Archived)
            .collect())
    }

    async fn evidence(&self, programs: &[Program]) -> Result<Evidence, RegistryError> {
        Ok(Evidence {
            links: link_states(&self.db, programs.iter().flat_map(Program::urls)).await?,
            flags: open_flags(&self.db).await?,
        })
    }
}

impl Evidence {
    fn assess(&self, program: Program, today: NaiveDate) -> ProgramFreshness {
        let due_on = program.review_due_on();
        let mut problems = Vec::new();
        if due_on < today {
            problems.push(ProgramProblem::ReviewOverdue { due_on });
        } else if due_on <= today + Duration::days(REVIEW_DUE_SOON_DAYS as i64) {
            problems.push(ProgramProblem::ReviewDueSoon { due_on });
        }
        for url in program.urls() {
            if let Some(since) = self.links.get(&url).and_then(|state| state.broken_since) {
                problems.push(ProgramProblem::BrokenLink { url, since });
            }
        }
        let contact = &program.content.contact;
        if contact.phone.is_none() && contact.email.is_none() && contact.url.is_none() {
            problems.push(ProgramProblem::MissingContact);
        }
        if program
            .content
            .eligibility
            .get("rule")
            .is_none_or(serde_json::Value::is_null)
        {
            problems.push(ProgramProblem::NoStructuredRule);
        }
        for change in self.flags.get(&program.id).into_iter().flatten() {
            problems.push(ProgramProblem::RelatedProgramChanged(change.clone()));
        }
        ProgramFreshness {
            program,
            review_due_on: due_on,
            problems,
        }
    }
}
