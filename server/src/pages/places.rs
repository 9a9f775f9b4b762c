//! The prefecture's places as pages list them: the prefecture itself, and its 40 municipalities
//! grouped by region (東青, 中南, 三八, 西北, 上北, 下北) in the registry's code order. The home
//! page, the search page's municipality filter and the household form all show them.

use std::collections::HashMap;

use kosodate_registry::{Municipality, ProgramOwner};

use crate::error::ApiError;
use crate::state::AppState;

/// The prefecture's regions in the order Aomori lists them.
const REGION_ORDER: [&str; 6] = ["東青", "中南", "三八", "西北", "上北", "下北"];

#[derive(Debug, Clone)]
pub struct Place {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub name: String,
    pub places: Vec<Place>,
}

/// The prefecture and its municipalities grouped by region, from the registry.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub prefecture: Option<Place>,
    pub regions: Vec<Region>,
    names: HashMap<String, String>,
}

impl Places {
    pub async fn load(state: &AppState) -> Result<Self, ApiError> {
        let municipalities = state.registry.all_municipalities().await?;
        Ok(Self::grouped(&municipalities))
    }

    fn grouped(municipalities: &[Municipality]) -> Self {
        let mut places = Self::default();
        for municipality in municipalities {
            let place = Place {
                code: municipality.code.to_string(),
                name: municipality.name.clone(),
            };
            places.names.insert(place.code.clone(), place.name.clone());
            let Some(region) = municipality.region.clone() else {
                places.prefecture = Some(place);
                continue;
            };
            match places.regions.iter_mut().find(|known| known.name == region) {
                Some(known) => known.places.push(place),
                None => places.regions.push(Region {
                    name: region,
                    places: vec![place],
                }),
            }
        }
        places.regions.sort_by_key(|region| {
            REGION_ORDER
                .iter()
                .position(|name| *name == region.name)
                .unwrap_or(REGION_ORDER.len())
        });
        places
    }

    /// Whether the code names the prefecture or one of its municipalities.
    pub fn knows(&self, code: &str) -> bool {
        self.names.contains_key(code)
    }

    /// Who runs a program, in words: 国, 青森県, 弘前市.
    pub fn owner_name(&self, owner: &ProgramOwner) -> String {
        match owner {
            ProgramOwner::National => "国".to_owned(),
            ProgramOwner::Local(code) => self.name_of(&code.to_string()),
        }
    }

    pub fn name_of(&self, code: &str) -> String {
        self.names.get(code).cloned().unwrap_or_else(|| code.to_owned())
    }
}
