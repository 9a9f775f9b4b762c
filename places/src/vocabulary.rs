//! The closed lists of places and events: each value's id is what is stored and exchanged, its
//! Japanese label what people read (see `kosodate_domain::vocabulary`).

use serde::Serialize;
use utoipa::ToSchema;

/// What a place is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PlaceKind {
    #[strum(
        to_string = "support_center",
        serialize = "支援センター",
        message = "子育て支援センター"
    )]
    SupportCenter,
    #[strum(message = "児童館")]
    ChildrensHall,
    #[strum(message = "こども家庭センター")]
    FamilyCenter,
    #[strum(message = "保健センター")]
    HealthCenter,
    #[strum(message = "図書館")]
    Library,
    #[strum(message = "公園")]
    Park,
    #[strum(
        to_string = "indoor_playground",
        serialize = "室内遊び場",
        message = "屋内遊び場"
    )]
    IndoorPlayground,
    #[strum(message = "その他")]
    Other,
}

/// What a place offers parents of small children.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Facility {
    #[strum(message = "授乳室")]
    NursingRoom,
    #[strum(
        to_string = "diaper_changing",
        serialize = "おむつ替え台",
        message = "おむつ替え"
    )]
    DiaperChanging,
    #[strum(
        to_string = "stroller_access",
        serialize = "ベビーカー",
        message = "ベビーカー可"
    )]
    StrollerAccess,
    #[strum(message = "キッズトイレ")]
    KidsToilet,
    #[strum(message = "駐車場")]
    Parking,
    #[strum(message = "バリアフリー")]
    BarrierFree,
    #[strum(message = "給湯設備")]
    HotWater,
    #[strum(message = "飲食スペース")]
    EatingSpace,
    #[strum(message = "エレベーター")]
    Elevator,
}

/// What an event is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    #[strum(message = "離乳食教室")]
    WeaningClass,
    #[strum(
        to_string = "parents_class",
        serialize = "両親学級",
        serialize = "母親学級",
        message = "両親学級・母親学級"
    )]
    ParentsClass,
    #[strum(message = "子育てサロン")]
    ParentingSalon,
    #[strum(message = "乳幼児健診")]
    HealthCheckup,
    #[strum(
        to_string = "story_time",
        serialize = "お話し会",
        serialize = "読み聞かせ",
        message = "お話し会・読み聞かせ"
    )]
    StoryTime,
    #[strum(message = "相談会")]
    Consultation,
    #[strum(message = "講座")]
    Course,
    #[strum(message = "遊びの広場")]
    Playgroup,
    #[strum(message = "その他")]
    Other,
}

/// Whether the public sees a place or event: drafts and archived ones only staff see.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    #[strum(message = "下書き")]
    Draft,
    #[strum(message = "公開")]
    Published,
    #[strum(message = "終了")]
    Archived,
}

/// What a version of a place or an event records was done to it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum VersionAction {
    #[strum(message = "作成")]
    Created,
    #[strum(message = "変更")]
    Updated,
    #[strum(message = "ファイルから作成")]
    CreatedFromFile,
    #[strum(message = "ファイルで変更")]
    UpdatedFromFile,
    #[strum(message = "公開")]
    Published,
    #[strum(message = "終了")]
    Archived,
    /// The version a record had when history began to be kept (migration 133).
    #[strum(message = "履歴の記録を始めたときの内容")]
    Recorded,
}

/// A day of the week, Monday first as in Japanese calendars at work.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Weekday {
    #[strum(to_string = "mon", serialize = "月曜日", message = "月")]
    Mon,
    #[strum(to_string = "tue", serialize = "火曜日", message = "火")]
    Tue,
    #[strum(to_string = "wed", serialize = "水曜日", message = "水")]
    Wed,
    #[strum(to_string = "thu", serialize = "木曜日", message = "木")]
    Thu,
    #[strum(to_string = "fri", serialize = "金曜日", message = "金")]
    Fri,
    #[strum(to_string = "sat", serialize = "土曜日", message = "土")]
    Sat,
    #[strum(to_string = "sun", serialize = "日曜日", message = "日")]
    Sun,
}

impl Weekday {
    pub fn of(date: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        match date.weekday() {
            chrono::Weekday::Mon => Self::Mon,
            chrono::Weekday::Tue => Self::Tue,
            chrono::Weekday::Wed => Self::Wed,
            chrono::Weekday::Thu => Self::Thu,
            chrono::Weekday::Fri => Self::Fri,
            chrono::Weekday::Sat => Self::Sat,
            chrono::Weekday::Sun => Self::Sun,
        }
    }

    pub fn chrono(self) -> chrono::Weekday {
        match self {
            Self::Mon => chrono::Weekday::Mon,
            Self::Tue => chrono::Weekday::Tue,
            Self::Wed => chrono::Weekday::Wed,
            Self::Thu => chrono::Weekday::Thu,
            Self::Fri => chrono::Weekday::Fri,
            Self::Sat => chrono::Weekday::Sat,
            Self::Sun => chrono::Weekday::Sun,
        }
    }
}

/// How a family signs up for an event.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SignUpMethod {
    #[strum(to_string = "none", serialize = "申込不要", message = "不要")]
    None,
    #[strum(message = "電話")]
    Phone,
    #[strum(to_string = "web", serialize = "Webフォーム", message = "ウェブ")]
    Web,
    #[strum(message = "窓口")]
    Counter,
}

kosodate_domain::vocabulary_deserialize!(
    PlaceKind,
    Facility,
    EventKind,
    Status,
    VersionAction,
    Weekday,
    SignUpMethod
);

#[cfg(test)]
mod tests {
    use kosodate_domain::{Vocabulary, serde_names_agree};

    use super::*;

    #[test]
    fn ids_labels_and_everyday_words() {
        assert_eq!(serde_names_agree::<PlaceKind>(), Ok(()));
        assert_eq!(serde_names_agree::<Facility>(), Ok(()));
        assert_eq!(serde_names_agree::<EventKind>(), Ok(()));
        assert_eq!(serde_names_agree::<Status>(), Ok(()));
        assert_eq!(serde_names_agree::<VersionAction>(), Ok(()));
        assert_eq!(serde_names_agree::<Weekday>(), Ok(()));
        assert_eq!(serde_names_agree::<SignUpMethod>(), Ok(()));
        assert_eq!(
            PlaceKind::parse("子育て支援センター"),
            Some(PlaceKind::SupportCenter)
        );
        assert_eq!(PlaceKind::parse("支援センター"), Some(PlaceKind::SupportCenter));
        assert_eq!(EventKind::parse("母親学級"), Some(EventKind::ParentsClass));
        assert_eq!(EventKind::ParentsClass.label_ja(), "両親学級・母親学級");
        assert_eq!(Facility::parse("おむつ替え"), Some(Facility::DiaperChanging));
        assert_eq!(Weekday::parse("水曜日"), Some(Weekday::Wed));
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(Weekday::of(date), Weekday::Sat);
        assert_eq!(Weekday::Sat.chrono(), chrono::Weekday::Sat);
    }
}
