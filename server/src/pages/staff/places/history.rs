//! `/staff/places/{id}/history`: every version of a place and the difference between any two,
//! field by field with the place editor's labels.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_places::PlaceContent;

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::events::show::months_words;
use crate::pages::staff::versions::{Compare, RecordHistory, organisation_names, text};
use crate::pages::visitor::SignedInStaff;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

pub async fn page(
    State(state): State<AppState>,
    staff: SignedInStaff,
    RecordId(id): RecordId<path_ids::Place>,
    ApiQuery(compare): ApiQuery<Compare>,
) -> Result<Response, ApiError> {
    let versions = state.places.place_history(&staff.identity, id).await?;
    let codes: Vec<MunicipalityCode> = versions.iter().map(|version| version.content.owner).collect();
    let owners = organisation_names(&state, &codes).await?;
    let history = RecordHistory {
        versions: &versions,
        compare,
        section: "/staff/places",
        base: format!("/staff/places/{id}"),
        name: versions
            .last()
            .map(|version| version.content.name.clone())
            .unwrap_or_default(),
    };
    Ok(history
        .render(&state, &staff, |content| described(content, &owners))
        .await)
}

/// Every field of a place in the editor's words, in the editor's order.
fn described(
    content: &PlaceContent,
    owners: &HashMap<MunicipalityCode, String>,
) -> Vec<(&'static str, String)> {
    let coordinate = |value: Option<f64>| value.map(|n| n.to_string()).unwrap_or_default();
    let hours = &content.opening_hours;
    vec![
        (
            "設置・運営する団体",
            owners
                .get(&content.owner)
                .cloned()
                .unwrap_or_else(|| content.owner.to_string()),
        ),
        ("種類", content.kind.label_ja().to_owned()),
        ("名称", content.name.clone()),
        ("よみがな", text(&content.reading)),
        ("紹介", text(&content.description)),
        ("住所", content.address.clone()),
        ("郵便番号", text(&content.postal_code)),
        ("電話番号", text(&content.phone)),
        ("ホームページ", text(&content.url)),
        ("緯度", coordinate(content.latitude)),
        ("経度", coordinate(content.longitude)),
        (
            "開館時間",
            hours
                .days
                .iter()
                .map(|day| {
                    let note = day.note.as_ref().map(|note| format!("（{note}）"));
                    format!(
                        "{}曜 {}〜{}{}",
                        day.weekday.label_ja(),
                        day.open,
                        day.close,
                        note.unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("、"),
        ),
        ("休館日", text(&hours.closed_days)),
        ("時間についての備考", text(&hours.note)),
        (
            "対象の月齢",
            content.age_months.map(months_words).unwrap_or_default(),
        ),
        (
            "設備",
            content
                .facilities
                .iter()
                .map(|facility| facility.label_ja())
                .collect::<Vec<_>>()
                .join("・"),
        ),
        ("ライセンス", content.license.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_moved_place_with_new_hours_differs_in_those_fields() {
        let before: PlaceContent = serde_json::from_value(json!({
            "owner": "022012", "kind": "support_center", "name": "つどいの広場",
            "address": "青森市新町1-3-7", "reading": null, "postal_code": null, "latitude": null,
            "longitude": null, "phone": null, "url": null, "description": null,
            "opening_hours": {"days": [{"weekday": "mon", "open": "09:00", "close": "17:00"}]},
            "age_months": {"from": 0, "to": 47}, "facilities": ["nursing_room"],
            "license": "CC BY 4.0"
        }))
        .expect("content");
        let mut after = before.clone();
        after.address = "青森市新町2-1-1".to_owned();
        after.opening_hours.days[0].note = Some("昼休みあり".to_owned());
        let owners = HashMap::from([(before.owner, "青森市".to_owned())]);
        let rows = crate::pages::staff::versions::differences(
            described(&before, &owners),
            described(&after, &owners),
        );
        let found: Vec<_> = rows
            .iter()
            .map(|row| (row.label, row.before.as_str(), row.after.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("住所", "青森市新町1-3-7", "青森市新町2-1-1"),
                ("開館時間", "月曜 09:00〜17:00", "月曜 09:00〜17:00（昼休みあり）"),
            ]
        );
        let words: HashMap<_, _> = described(&before, &owners).into_iter().collect();
        assert_eq!(words["設置・運営する団体"], "青森市");
        assert_eq!(words["対象の月齢"], "生後0か月から47か月");
        assert_eq!(words["設備"], "授乳室");
    }
}
