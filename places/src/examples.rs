//! The example places and events of the embedded default (`seed/examples.json`): support centres,
//! a children's hall, a park, a library and their recurring events in several municipalities,
//! entered and published through the same validation as staff use, into an empty database only.

use kosodate_registry::StaffIdentity;
use serde::Deserialize;

use crate::error::PlacesError;
use crate::input::{EventInput, PlaceInput};
use crate::store::Places;

const EXAMPLES: &str = include_str!("../seed/examples.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Examples {
    places: Vec<PlaceInput>,
    events: Vec<ExampleEvent>,
}

/// An event, held at the example place of this name (`at`) or at its own venue.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleEvent {
    #[serde(default)]
    at: Option<String>,
    event: EventInput,
}

/// How many examples were loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExamplesLoaded {
    pub places: usize,
    pub events: usize,
}

impl Places {
    /// Loads and publishes the examples when there is no place and no event yet.
    pub async fn load_examples_if_empty(&self) -> Result<Option<ExamplesLoaded>, PlacesError> {
        if !self.places_changed_after(None, 1).await?.is_empty()
            || !self.events_changed_after(None, 1).await?.is_empty()
        {
            return Ok(None);
        }
        let examples: Examples = serde_json::from_str(EXAMPLES)
            .map_err(|error| PlacesError::Corrupt(format!("example places: {error}")))?;
        let actor = StaffIdentity::administrator("examples");
        let mut ids = std::collections::HashMap::new();
        for input in &examples.places {
            let place = self.create_place(&actor, input).await?;
            self.publish_place(&actor, place.id).await?;
            ids.insert(place.content.name.clone(), place.id);
        }
        for example in &examples.events {
            let mut input = example.event.clone();
            if let Some(name) = &example.at {
                let id = ids.get(name).ok_or_else(|| {
                    PlacesError::Corrupt(format!("example event at unknown place {name:?}"))
                })?;
                input.place_id = Some(*id);
            }
            let event = self.create_event(&actor, &input).await?;
            self.publish_event(&actor, event.id).await?;
        }
        Ok(Some(ExamplesLoaded {
            places: examples.places.len(),
            events: examples.events.len(),
        }))
    }
}
