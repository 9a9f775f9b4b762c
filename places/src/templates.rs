//! What a new event or place of a common kind starts from in the editor, so that a clerk starts
//! from what such a record usually is and changes only what is local. Events: who it is for, how
//! often, how long, how to sign up (here, in code, since a recurrence is easier to read checked
//! by the compiler). Places: description, age range, facilities and opening hours
//! (`seed/place-templates.json`). A template is a starting point: what is saved is what staff
//! submit, validated as always.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{Audience, ClockTime, MonthRange, OpeningHours, Recurrence};
use crate::vocabulary::{EventKind, Facility, PlaceKind, SignUpMethod, Weekday};

const PLACE_TEMPLATES: &str = include_str!("../seed/place-templates.json");

/// What a new event of a common kind starts from.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EventTemplate {
    /// What `?template=` names.
    pub key: &'static str,
    pub kind: EventKind,
    pub title: &'static str,
    /// One line on when to use it, for the list of templates.
    pub summary: &'static str,
    pub description: &'static str,
    pub audience: Audience,
    /// How such events usually repeat; none for a one-off.
    pub rule: Option<Recurrence>,
    pub start: ClockTime,
    pub end: ClockTime,
    pub sign_up: SignUpMethod,
    pub capacity: Option<u32>,
}

fn at(hour: u32, minute: u32) -> ClockTime {
    ClockTime::parse(&format!("{hour}:{minute:02}")).unwrap_or_else(|_| unreachable!("a valid time"))
}

fn months(from: u16, to: u16, note: &str) -> Audience {
    Audience {
        age_months: Some(MonthRange {
            from: Some(from),
            to: Some(to),
        }),
        note: Some(note.to_owned()),
        ..Audience::default()
    }
}

/// The templates in the order the staff page lists them.
pub fn event_templates() -> Vec<EventTemplate> {
    vec![
        EventTemplate {
            key: "weaning_class",
            kind: EventKind::WeaningClass,
            title: "離乳食教室",
            summary: "生後5〜8か月ごろの赤ちゃんの保護者向け。毎月1回、管理栄養士が話します。",
            description: "離乳食の進め方と作り方を、管理栄養士が実演を交えてお話しします。",
            audience: months(5, 8, "生後5〜8か月ごろの赤ちゃんと保護者"),
            rule: Some(Recurrence::MonthlyWeekday {
                nth: 2,
                weekday: Weekday::Tue,
            }),
            start: at(10, 0),
            end: at(11, 30),
            sign_up: SignUpMethod::Phone,
            capacity: Some(15),
        },
        EventTemplate {
            key: "parents_class",
            kind: EventKind::ParentsClass,
            title: "両親学級",
            summary: "妊娠中の方とパートナー向け。沐浴の練習や出産の準備。",
            description: "赤ちゃんのお風呂（沐浴）の練習、出産と産後の準備についてお話しします。",
            audience: Audience {
                pregnancy: true,
                note: Some("妊娠中の方とそのパートナー".to_owned()),
                ..Audience::default()
            },
            rule: Some(Recurrence::MonthlyWeekday {
                nth: 3,
                weekday: Weekday::Sat,
            }),
            start: at(10, 0),
            end: at(12, 0),
            sign_up: SignUpMethod::Phone,
            capacity: Some(10),
        },
        EventTemplate {
            key: "parenting_salon",
            kind: EventKind::ParentingSalon,
            title: "子育てサロン",
            summary: "就学前のお子さんと保護者が自由に集まる場。毎週、申込不要。",
            description: "親子で自由に遊び、保護者同士で話せる場です。保育士が子育ての相談にも応じます。",
            audience: months(0, 72, "就学前のお子さんと保護者"),
            rule: Some(Recurrence::Weekly {
                weekdays: vec![Weekday::Wed],
                interval_weeks: 1,
            }),
            start: at(10, 0),
            end: at(12, 0),
            sign_up: SignUpMethod::None,
            capacity: None,
        },
        EventTemplate {
            key: "story_time",
            kind: EventKind::StoryTime,
            title: "おはなし会",
            summary: "図書館などでの絵本の読み聞かせ。毎月1回、申込不要。",
            description: "絵本の読み聞かせ、手遊び、わらべうたを楽しみます。",
            audience: months(0, 72, "乳幼児と保護者"),
            rule: Some(Recurrence::MonthlyWeekday {
                nth: 4,
                weekday: Weekday::Sat,
            }),
            start: at(10, 30),
            end: at(11, 0),
            sign_up: SignUpMethod::None,
            capacity: None,
        },
        EventTemplate {
            key: "health_checkup",
            kind: EventKind::HealthCheckup,
            title: "1歳6か月児健康診査",
            summary: "乳幼児健診の日程。対象のお子さんには個別に通知します。",
            description: "身体計測、内科・歯科の診察、育児と栄養の相談を行います。母子健康手帳をお持ちください。",
            audience: months(18, 23, "1歳6か月から1歳11か月のお子さん"),
            rule: None,
            start: at(13, 0),
            end: at(15, 0),
            sign_up: SignUpMethod::None,
            capacity: None,
        },
        EventTemplate {
            key: "consultation",
            kind: EventKind::Consultation,
            title: "育児相談",
            summary: "保健師・栄養士による身体計測と相談。毎月1回。",
            description: "お子さんの身長・体重をはかり、保健師と栄養士が育児や授乳の相談に応じます。",
            audience: months(0, 72, "就学前のお子さんと保護者"),
            rule: Some(Recurrence::MonthlyWeekday {
                nth: 1,
                weekday: Weekday::Thu,
            }),
            start: at(9, 30),
            end: at(11, 30),
            sign_up: SignUpMethod::None,
            capacity: None,
        },
    ]
}

/// The template `key` names, if any.
pub fn event_template(key: &str) -> Option<EventTemplate> {
    event_templates().into_iter().find(|template| template.key == key)
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

/// Every place kind's template, in the order of the kinds.
pub fn place_templates() -> &'static [PlaceTemplate] {
    static TEMPLATES: OnceLock<Vec<PlaceTemplate>> = OnceLock::new();
    TEMPLATES.get_or_init(|| serde_json::from_str(PLACE_TEMPLATES).unwrap_or_default())
}

pub fn place_template(kind: PlaceKind) -> Option<&'static PlaceTemplate> {
    place_templates().iter().find(|template| template.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_found_by_its_key_and_ends_after_it_starts() {
        let templates = event_templates();
        assert!(templates.len() >= 5);
        for template in &templates {
            assert_eq!(event_template(template.key).as_ref(), Some(template));
            assert!(template.end > template.start, "{}", template.key);
        }
        assert_eq!(event_template("nothing"), None);
    }

    #[test]
    fn every_place_kind_has_one_template_that_reads() {
        let places: Vec<PlaceTemplate> = serde_json::from_str(PLACE_TEMPLATES).unwrap_or_default();
        assert_eq!(
            places.iter().map(|template| template.kind).collect::<Vec<_>>(),
            <PlaceKind as strum::VariantArray>::VARIANTS.to_vec()
        );
        assert!(
            place_template(PlaceKind::SupportCenter).is_some_and(|template| !template.facilities.is_empty())
        );
    }
}
