//! The program as staff enter it and as everyone reads it.

use std::fmt;

use chrono::{DateTime, Utc};
use kosodate_domain::{CalendarDate, MunicipalityCode, PREFECTURE_CODE, ProgramId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// What kind of support a program gives and at which life stage; a program has one or more.
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
pub enum Category {
    #[strum(message = "妊娠・出産")]
    PregnancyBirth,
    #[strum(message = "乳幼児")]
    Infant,
    #[strum(message = "保育・教育")]
    ChildcareEducation,
    #[strum(message = "医療")]
    Medical,
    #[strum(message = "手当・給付")]
    Allowance,
    #[strum(message = "ひとり親")]
    SingleParent,
    #[strum(message = "障がい")]
    Disability,
    #[strum(message = "相談")]
    Consultation,
    #[strum(message = "健診・予防接種")]
    HealthCheckup,
    #[strum(message = "その他")]
    Other,
}

kosodate_domain::vocabulary_deserialize!(Category);

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
pub enum ProgramStatus {
    #[strum(message = "下書き")]
    Draft,
    #[strum(message = "公開")]
    Published,
    #[strum(message = "終了")]
    Archived,
}

kosodate_domain::vocabulary_deserialize!(ProgramStatus);

/// Who runs a program: the nation (applies everywhere), the prefecture or one municipality.
/// Written as `"national"` or the 6-digit 全国地方公共団体コード.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProgramOwner {
    National,
    Local(MunicipalityCode),
}

pub const NATIONAL_OWNER: &str = "national";

impl ProgramOwner {
    pub fn parse(input: &str) -> Result<Self, kosodate_domain::MunicipalityCodeError> {
        let input = input.trim();
        if input.eq_ignore_ascii_case(NATIONAL_OWNER) || input == "国" {
            return Ok(Self::National);
        }
        MunicipalityCode::parse(input).map(Self::Local)
    }

    pub fn as_key(&self) -> String {
        match self {
            Self::National => NATIONAL_OWNER.to_owned(),
            Self::Local(code) => code.to_string(),
        }
    }

    pub fn is_prefecture(&self) -> bool {
        matches!(self, Self::Local(code) if *code == PREFECTURE_CODE)
    }
}

impl fmt::Display for ProgramOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_key())
    }
}

impl Serialize for ProgramOwner {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_key())
    }
}

impl<'de> Deserialize<'de> for ProgramOwner {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The event a relative application window counts from.
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
pub enum LifeEvent {
    #[strum(message = "出生")]
    Birth,
    #[strum(message = "妊娠の届出")]
    PregnancyReport,
    #[strum(message = "転入")]
    MoveIn,
}

kosodate_domain::vocabulary_deserialize!(LifeEvent);

/// When a family can apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    deny_unknown_fields,
    try_from = "WindowFields"
)]
pub enum ApplicationWindow {
    /// 随時: always open.
    Always,
    /// Fixed dates; either end may be open.
    Fixed {
        from: Option<CalendarDate>,
        to: Option<CalendarDate>,
    },
    /// Within a number of days of an event, e.g. 15 days after the birth.
    Relative { event: LifeEvent, within_days: u32 },
}

/// An application window as read: one flat object, so that a wrong member is named by its own
/// JSON pointer (serde cannot tell where inside an internally tagged enum an error is).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowFields {
    kind: WindowKind,
    #[serde(default)]
    from: Option<CalendarDate>,
    #[serde(default)]
    to: Option<CalendarDate>,
    #[serde(default)]
    event: Option<LifeEvent>,
    #[serde(default)]
    within_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum WindowKind {
    Always,
    Fixed,
    Relative,
}

impl TryFrom<WindowFields> for ApplicationWindow {
    type Error = String;

    fn try_from(fields: WindowFields) -> Result<Self, Self::Error> {
        let present = [
            ("from", fields.from.is_some()),
            ("to", fields.to.is_some()),
            ("event", fields.event.is_some()),
            ("within_days", fields.within_days.is_some()),
        ];
        let allowed: &[&str] = match fields.kind {
            WindowKind::Always => &[],
            WindowKind::Fixed => &["from", "to"],
            WindowKind::Relative => &["event", "within_days"],
        };
        if let Some((member, _)) = present
            .iter()
            .find(|(member, given)| *given && !allowed.contains(member))
        {
            // The wording of serde's own message, which the API turns into Japanese.
            return Err(format!("unknown field `{member}` for this kind of window"));
        }
        match fields.kind {
            WindowKind::Always => Ok(Self::Always),
            WindowKind::Fixed => Ok(Self::Fixed {
                from: fields.from,
                to: fields.to,
            }),
            WindowKind::Relative => Ok(Self::Relative {
                event: fields.event.ok_or("missing field `event`")?,
                within_days: fields.within_days.ok_or("missing field `within_days`")?,
            }),
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
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
pub enum ApplicationMethodKind {
    #[strum(message = "窓口")]
    Counter,
    #[strum(message = "郵送")]
    Mail,
    /// e.g. マイナポータル
    #[strum(message = "オンライン")]
    Online,
}

kosodate_domain::vocabulary_deserialize!(ApplicationMethodKind);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationMethod {
    pub kind: ApplicationMethodKind,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    #[serde(default)]
    pub description: Option<String>,
    /// The headline amount in yen, when there is one.
    #[serde(default)]
    pub amount_yen: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub section: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// A program as staff submit it (create and update) and as every import format is turned into.
/// Validation turns it into [`ProgramContent`]; nothing is stored before that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    /// `national`, or the 6-digit code of the prefecture or municipality that runs the program.
    #[schema(schema_with = crate::seed::owner_schema)]
    pub owner: String,
    #[schema(example = "子ども医療費助成")]
    pub name: String,
    #[serde(default)]
    pub short_name: Option<String>,
    pub categories: Vec<Category>,
    /// The 制度類型: a key of the program type catalogue (`kosodate_registry::program_types`,
    /// e.g. `vaccine_bcg`); its Japanese name is accepted too.
    #[serde(default)]
    #[schema(example = "child_medical_subsidy")]
    pub program_type: Option<String>,
    pub summary: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Who is eligible, in words (対象者).
    #[serde(default)]
    pub eligibility_summary: Option<String>,
    /// The structured eligibility rule document (`{"version": 1, "rule": {...}}`).
    #[serde(default = "default_eligibility")]
    #[schema(schema_with = eligibility_schema)]
    pub eligibility: serde_json::Value,
    #[serde(default)]
    pub benefit: Benefit,
    pub application_window: ApplicationWindow,
    #[serde(default)]
    pub application_methods: Vec<ApplicationMethod>,
    #[serde(default)]
    pub documents: Vec<String>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default)]
    pub source_url: Option<String>,
    #[serde(default)]
    pub last_reviewed_on: Option<CalendarDate>,
    /// How often the program is reviewed, in months (1 to 60): a review is due this long after
    /// the last one (or the publication). 12 when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 60, example = 12)]
    pub review_cycle_months: Option<u16>,
    /// The URL of the licence the program is published under as open data; CC BY 4.0 when
    /// absent.
    #[serde(default)]
    #[schema(example = "https://creativecommons.org/licenses/by/4.0/")]
    pub license: Option<String>,
}

/// The rule document's envelope. The rule language itself is written up in docs/rules.md; a
/// JSON Schema could not say what the matcher checks besides its shape (that a rule can hold at
/// all, that ranges are not empty).
fn eligibility_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "version",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some([1])),
        )
        .required("version")
        .property(
            "rule",
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Object, Type::Null]))
                .description(Some("One condition of the rule language (docs/rules.md); absent or null: eligibility in words only")),
        )
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some("An eligibility rule document: {\"version\": 1, \"rule\": {...}}"))
        .build()
}

pub fn default_eligibility() -> serde_json::Value {
    serde_json::json!({ "version": 1 })
}

/// A validated program body: what is stored, versioned and published. Text is trimmed, empty
/// optional text is absent, lists are de-duplicated, and every code, URL and date range is valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProgramContent {
    #[schema(value_type = String, example = "022012")]
    pub owner: ProgramOwner,
    pub name: String,
    pub short_name: Option<String>,
    pub categories: Vec<Category>,
    /// The 制度類型 key; absent in snapshots recorded before programs had types.
    #[serde(default)]
    pub program_type: Option<String>,
    pub summary: String,
    pub description: Option<String>,
    pub eligibility_summary: Option<String>,
    #[schema(schema_with = eligibility_schema)]
    pub eligibility: serde_json::Value,
    pub benefit: Benefit,
    pub application_window: ApplicationWindow,
    pub application_methods: Vec<ApplicationMethod>,
    pub documents: Vec<String>,
    pub contact: Contact,
    pub source_url: Option<String>,
    pub last_reviewed_on: Option<CalendarDate>,
    /// Months between reviews; snapshots recorded before cycles existed read as the default.
    #[serde(default = "default_review_cycle")]
    pub review_cycle_months: u16,
    /// The URL of the licence the record is published under as open data; snapshots recorded
    /// before programs chose theirs read as CC BY 4.0, which every program had then.
    #[serde(default = "default_license")]
    #[schema(example = "https://creativecommons.org/licenses/by/4.0/")]
    pub license: String,
}

/// A program is reviewed once a year unless its owner says otherwise.
pub const DEFAULT_REVIEW_CYCLE_MONTHS: u16 = 12;

fn default_review_cycle() -> u16 {
    DEFAULT_REVIEW_CYCLE_MONTHS
}

impl From<ProgramContent> for ProgramInput {
    fn from(content: ProgramContent) -> Self {
        Self {
            owner: content.owner.as_key(),
            name: content.name,
            short_name: content.short_name,
            categories: content.categories,
            program_type: content.program_type,
            summary: content.summary,
            description: content.description,
            eligibility_summary: content.eligibility_summary,
            eligibility: content.eligibility,
            benefit: content.benefit,
            application_window: content.application_window,
            application_methods: content.application_methods,
            documents: content.documents,
            contact: content.contact,
            source_url: content.source_url,
            last_reviewed_on: content.last_reviewed_on,
            review_cycle_months: Some(content.review_cycle_months),
            license: Some(content.license),
        }
    }
}

/// A program as read from the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Program {
    #[schema(value_type = String, format = Uuid)]
    pub id: ProgramId,
    pub status: ProgramStatus,
    /// Increases by one with every change; send it back in `If-Match` to avoid overwriting a
    /// colleague's edit.
    pub version: i32,
    /// The last version that changed what a parent is told (the benefit, the application window,
    /// how to apply, the documents): households eligible for the program hear about it.
    #[serde(default = "first_version")]
    pub material_version: i32,
    #[serde(flatten)]
    pub content: ProgramContent,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// The licence every record of the registry (programs, places, events) carries unless its owner
/// says otherwise: CC BY 4.0, as the Tokyo registry publishes under.
pub const DEFAULT_LICENSE: &str = "https://creativecommons.org/licenses/by/4.0/";

fn default_license() -> String {
    DEFAULT_LICENSE.to_owned()
}

/// Snapshots recorded before `material_version` existed read as unchanged since the first.
fn first_version() -> i32 {
    1
}

/// What happened in one version of a program.
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
pub enum ProgramAction {
    #[strum(message = "作成")]
    Created,
    #[strum(message = "更新")]
    Updated,
    #[strum(message = "公開")]
    Published,
    #[strum(message = "終了")]
    Archived,
    /// Reviewed and found still right (「内容に変更なし」): only the review date moves.
    #[strum(message = "確認（変更なし）")]
    Reviewed,
}

kosodate_domain::vocabulary_deserialize!(ProgramAction);

/// One field that a version changed, with its values before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    /// Any JSON value, `null` when the field was empty.
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// One entry in a program's history. Versions are never rewritten.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProgramVersion {
    #[schema(value_type = String, format = Uuid)]
    pub program_id: ProgramId,
    pub version: i32,
    pub action: ProgramAction,
    /// Who made the change (the staff identity's name).
    pub actor: String,
    pub changes: Vec<FieldChange>,
    pub recorded_at: DateTime<Utc>,
    /// The whole program as it stood after this version.
    pub snapshot: Program,
}

/// A prefecture or municipality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Municipality {
    #[schema(value_type = String, example = "022012")]
    pub code: MunicipalityCode,
    #[schema(example = "青森市")]
    pub name: String,
    #[schema(example = "あおもりし")]
    pub kana: String,
    /// 郡 for towns and villages.
    pub district: Option<String>,
    /// prefecture, city, town or village.
    pub kind: String,
    /// The prefecture's region (東青, 中南, 三八, 西北, 上北, 下北).
    pub region: Option<String>,
}

#[cfg(test)]
mod vocabulary_tests {
    use kosodate_domain::serde_names_agree;

    use super::*;

    #[test]
    fn serde_names_are_the_vocabulary_ids() {
        for check in [
            serde_names_agree::<Category>,
            serde_names_agree::<ProgramStatus>,
            serde_names_agree::<LifeEvent>,
            serde_names_agree::<ApplicationMethodKind>,
            serde_names_agree::<ProgramAction>,
        ] {
            check().unwrap_or_else(|error| panic!("{error}"));
        }
    }

    #[test]
    fn a_program_may_name_its_lists_by_their_japanese_labels() {
        let input: ProgramInput = serde_json::from_value(serde_json::json!({
            "owner": "022012",
            "name": "一時預かり事業",
            "categories": ["保育・教育", "infant"],
            "summary": "保護者の急な用事のときに子どもを預かります",
            "application_window": {"kind": "relative", "event": "出生", "within_days": 30},
            "application_methods": [{"kind": "窓口"}]
        }))
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(input.categories, [Category::ChildcareEducation, Category::Infant]);
        assert_eq!(input.application_methods[0].kind, ApplicationMethodKind::Counter);
        let written = serde_json::to_value(&input).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            written["categories"],
            serde_json::json!(["childcare_education", "infant"])
        );
        assert_eq!(written["application_window"]["event"], "birth");
    }
}
