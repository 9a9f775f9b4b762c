//! Which municipality lacks a program type most others have: the prefecture's view of gaps in
//! the registry. A national or prefectural program of a type applies in every municipality, so
//! that type is never a gap.

use std::collections::{BTreeMap, BTreeSet};

use kosodate_domain::{MunicipalityCode, PREFECTURE_CODE, Vocabulary};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entity::program;
use crate::error::RegistryError;
use crate::model::{ProgramOwner, ProgramStatus};
use crate::program_types;
use crate::store::Registry;

/// A type most municipalities publish, as one municipality lacks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CommonType {
    #[schema(example = "temporary_childcare")]
    pub program_type: String,
    #[schema(example = "一時預かり")]
    pub name: String,
    /// How many of the municipalities publish a program of this type.
    pub published_by: usize,
}

/// One municipality and the common types it does not publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MunicipalityGaps {
    #[schema(value_type = String, example = "022012")]
    pub municipality: MunicipalityCode,
    pub name: String,
    /// Most common first, then in catalogue order.
    pub missing: Vec<CommonType>,
}

impl Registry {
    /// For every municipality (the prefecture itself is not one), the program types that at
    /// least `min_share` of the municipalities publish (0.5: half of them) and it does not.
    /// Only published programs count. `min_share` is kept within (0, 1]: a share of nothing
    /// would make every type common.
    pub async fn missing_common_types(&self, min_share: f64) -> Result<Vec<MunicipalityGaps>, RegistryError> {
        let municipalities = self.municipality_names().await?;
        let published = self.published_types().await?;
        let everywhere: BTreeSet<&str> = [ProgramOwner::National, ProgramOwner::Local(PREFECTURE_CODE)]
            .iter()
            .filter_map(|owner| published.get(&owner.as_key()))
            .flatten()
            .map(String::as_str)
            .collect();
        let share = if min_share.is_finite() {
            min_share.clamp(f64::EPSILON, 1.0)
        } else {
            1.0
        };
        let needed = (share * municipalities.len() as f64).ceil() as usize;
        let mut publishers: BTreeMap<&str, usize> = BTreeMap::new();
        for (code, _) in &municipalities {
            for key in published.get(code.as_str()).into_iter().flatten() {
                *publishers.entry(key.as_str()).or_default() += 1;
            }
        }
        let mut common: Vec<CommonType> = program_types::catalogue()
            .iter()
            .filter(|program_type| !everywhere.contains(program_type.key.as_str()))
            .filter_map(|program_type| {
                let published_by = publishers.get(program_type.key.as_str()).copied()?;
                (published_by >= needed.max(1)).then(|| CommonType {
                    program_type: program_type.key.clone(),
                    name: program_type.name.clone(),
                    published_by,
                })
            })
            .collect();
        // Stable: catalogue order among types published by as many municipalities.
        common.sort_by_key(|common| std::cmp::Reverse(common.published_by));
        Ok(municipalities
            .into_iter()
            .map(|(code, name)| {
                let own = published.get(code.as_str());
                let missing = common
                    .iter()
                    .filter(|common| !own.is_some_and(|own| own.contains(&common.program_type)))
                    .cloned()
                    .collect();
                MunicipalityGaps {
                    municipality: code,
                    name,
                    missing,
                }
            })
            .collect())
    }

    async fn municipality_names(&self) -> Result<Vec<(MunicipalityCode, String)>, RegistryError> {
        Ok(self
            .all_municipalities()
            .await?
            .iter()
            .filter(|municipality| !municipality.code.is_prefecture())
            .map(|municipality| (municipality.code, municipality.name.clone()))
            .collect())
    }

    /// Owner key → the types of its published programs.
    async fn published_types(&self) -> Result<BTreeMap<String, BTreeSet<String>>, RegistryError> {
        let pairs: Vec<(String, Option<String>)> = program::Entity::find()
            .select_only()
            .column(program::Column::OwnerCode)
            .column(program::Column::ProgramType)
            .distinct()
            .filter(program::Column::Status.eq(ProgramStatus::Published.id()))
            .filter(program::Column::ProgramType.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut published: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (owner, program_type) in pairs {
            published.entry(owner).or_default().extend(program_type);
        }
        Ok(published)
    }
}
