//! What a new place or event of a common kind starts from in the editor: its default title,
//! description, audience, duration and sign-up (`seed/event-templates.json`), or description, age
//! range, facilities and opening hours (`seed/place-templates.json`). A template is a starting
//! point: what is saved is what staff submit, validated as always.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{Audience, MonthRange, OpeningHours, SignUp};
use crate::vocabulary::{EventKind, Facility, PlaceKind};

const EVENT_TEMPLATES: &str = include_str!("../seed/event-templates.json");
const PLACE_TEMPLATES: &str = include_str!("../seed/place-templates.json");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTemplate {
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    pub audience: Audience,
    /// How long one day of it usually lasts: the end time the editor proposes.
    pub duration_minutes: u16,
    pub sign_up: SignUp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceTemplate {
    pub kind: PlaceKind,
    pub description: String,
    #[serde(default)]
    pub age_months: Option<MonthRange>,
    #[serde(default)]
    pub facilities: Vec<Facility>,
    pub opening_hours: OpeningHours,
}

/// Every event kind's template, in the order of the kinds.
pub fn event_templates() -> &'static [EventTemplate] {
    static TEMPLATES: OnceLock<Vec<EventTemplate>> = OnceLock::new();
    // The file is part of the binary and checked by the tests: it cannot fail to read.
    TEMPLATES.get_or_init(|| serde_json::from_str(EVENT_TEMPLATES).unwrap_or_default())
}

pub fn place_templates() -> &'static [PlaceTemplate] {
    static TEMPLATES: OnceLock<Vec<PlaceTemplate>> = OnceLock::new();
    TEMPLATES.get_or_init(|| serde_json::from_str(PLACE_TEMPLATES).unwrap_or_default())
}

pub fn event_template(kind: EventKind) -> Option<&'static EventTemplate> {
    event_templates().iter().find(|template| template.kind == kind)
}

pub fn place_template(kind: PlaceKind) -> Option<&'static PlaceTemplate> {
    place_templates().iter().find(|template| template.kind == kind)
}

#[cfg(test)]
mod tests {
    use strum::VariantArray;

    use super::*;

    #[test]
    fn every_kind_has_one_template_that_reads() {
        let events: Vec<EventTemplate> = serde_json::from_str(EVENT_TEMPLATES).unwrap();
        let places: Vec<PlaceTemplate> = serde_json::from_str(PLACE_TEMPLATES).unwrap();
        assert_eq!(
            events.iter().map(|t| t.kind).collect::<Vec<_>>(),
            EventKind::VARIANTS.to_vec()
        );
        assert_eq!(
            places.iter().map(|t| t.kind).collect::<Vec<_>>(),
            PlaceKind::VARIANTS.to_vec()
        );
        assert_eq!(
            event_template(EventKind::WeaningClass).unwrap().title,
            "離乳食教室"
        );
        assert!(
            event_template(EventKind::ParentsClass)
                .unwrap()
                .audience
                .pregnancy
        );
        assert!(
            !place_template(PlaceKind::SupportCenter)
                .unwrap()
                .facilities
                .is_empty()
        );
    }
}
