//! The prefecture's municipalities as pages list them: grouped by region (東青, 中南, 三八, 西北,
//! 上北, 下北), in the registry's code order within each, the prefecture itself apart.

use kosodate_registry::Municipality;
use kosodate_registry::page::PageRequest;

use crate::error::ApiError;
use crate::state::AppState;

/// The regions in the order the prefecture lists them.
const REGION_ORDER: [&str; 6] = ["東青", "中南", "三八", "西北", "上北", "下北"];

#[derive(Debug)]
pub struct Region {
    pub name: String,
    pub municipalities: Vec<Place>,
}

#[derive(Debug)]
pub struct Place {
    pub code: String,
    pub name: String,
}

/// Every municipality of the registry, by region; the prefecture is not among them.
pub async fn regions(state: &AppState) -> Result<Vec<Region>, ApiError> {
    let mut regions: Vec<Region> = REGION_ORDER
        .iter()
        .map(|name| Region {
            name: (*name).to_owned(),
            municipalities: Vec::new(),
        })
        .collect();
    for municipality in all_municipalities(state).await? {
        let Some(region) = municipality.region.as_deref() else {
            continue;
        };
        let place = Place {
            code: municipality.code.as_str().to_owned(),
            name: municipality.name,
        };
        match regions.iter_mut().find(|known| known.name == region) {
            Some(known) => known.municipalities.push(place),
            None => regions.push(Region {
                name: region.to_owned(),
                municipalities: vec![place],
            }),
        }
    }
    regions.retain(|region| !region.municipalities.is_empty());
    Ok(regions)
}

/// The prefecture and its municipalities, in code order.
pub async fn all_municipalities(state: &AppState) -> Result<Vec<Municipality>, ApiError> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let request = PageRequest {
            limit: Some(kosodate_registry::page::MAX_LIMIT),
            cursor,
        };
        let page = state.registry.municipalities(&request).await?;
        all.extend(page.items);
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Ok(all);
        }
    }
}
