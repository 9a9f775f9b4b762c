//! The catalogue of program types (制度類型): the kinds of program a municipality runs, modelled on
//! the national 子育て支援制度レジストリ's types, each with a template so that a clerk starting a
//! program from its type edits only what is local. The catalogue is data
//! (`seed/program-types.json`), read and checked once; every program may carry one type's key,
//! which groups the same program across municipalities.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use kosodate_matcher::EligibilityDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{ApplicationMethod, ApplicationWindow, Category, Contact, ProgramInput, ProgramOwner};

const CATALOGUE_JSON: &str = include_str!("../seed/program-types.json");

/// The line of a description that says what each municipality decides for itself. Programs
/// started from a type's template carry it, and the statutory example programs end with it.
pub const VARIES_PREFIX: &str = "市町村によって異なること：";

/// The life stage a program type belongs to, in the order a family meets them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LifeStage {
    #[strum(message = "妊娠期")]
    Pregnancy,
    #[strum(message = "出産・産後")]
    Birth,
    #[strum(message = "乳幼児の健診")]
    HealthCheck,
    #[strum(message = "予防接種")]
    Immunisation,
    #[strum(message = "保育・幼児教育")]
    Childcare,
    #[strum(message = "就学・学齢期")]
    School,
    #[strum(message = "医療費")]
    Medical,
    #[strum(message = "手当・給付")]
    Allowance,
    #[strum(message = "ひとり親家庭")]
    SingleParent,
    #[strum(message = "障がいのある子ども")]
    Disability,
    #[strum(message = "相談・地域の子育て支援")]
    Community,
}

kosodate_domain::vocabulary_deserialize!(LifeStage);

/// One 制度類型 with the template a program of this type starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramType {
    /// Stable ASCII snake_case key, stored on programs.
    #[schema(example = "vaccine_bcg")]
    pub key: String,
    #[schema(example = "BCG予防接種")]
    pub name: String,
    pub group: LifeStage,
    pub categories: Vec<Category>,
    /// A summary that holds for a typical program of the type, for the clerk to adjust.
    pub summary: String,
    #[serde(default)]
    pub eligibility_summary: Option<String>,
    /// A typical rule document (docs/rules.md).
    #[schema(value_type = Object)]
    pub eligibility: serde_json::Value,
    pub application_window: ApplicationWindow,
    #[serde(default)]
    pub application_methods: Vec<ApplicationMethod>,
    #[serde(default)]
    pub documents: Vec<String>,
    /// The facts each municipality sets for itself (時期, 会場, 持ち物…): what a clerk confirms
    /// or adjusts in a program started from this type.
    #[serde(default)]
    pub varies_by_municipality: Vec<String>,
}

impl ProgramType {
    /// A program of this type for `owner`, as the clerk's form starts it: only the local facts
    /// (contact, source, dates, amounts) are left to fill in.
    pub fn template(&self, owner: &ProgramOwner) -> ProgramInput {
        ProgramInput {
            owner: owner.as_key(),
            name: self.name.clone(),
            short_name: None,
            categories: self.categories.clone(),
            program_type: Some(self.key.clone()),
            summary: self.summary.clone(),
            description: self.varies_note(),
            eligibility_summary: self.eligibility_summary.clone(),
            eligibility: self.eligibility.clone(),
            benefit: Default::default(),
            application_window: self.application_window.clone(),
            application_methods: self.application_methods.clone(),
            documents: self.documents.clone(),
            contact: Contact::default(),
            source_url: None,
            last_reviewed_on: None,
            review_cycle_months: None,
            license: None,
        }
    }

    /// The description line that names what varies by municipality, when anything does.
    pub fn varies_note(&self) -> Option<String> {
        (!self.varies_by_municipality.is_empty())
            .then(|| format!("{VARIES_PREFIX}{}", self.varies_by_municipality.join("・")))
    }
}

/// Why the catalogue data cannot be used; only a broken `program-types.json` gives one.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("program-types.json does not parse: {0}")]
    Json(#[from] serde_json::Error),
    #[error("program type key {0:?} is not ASCII snake_case")]
    Key(String),
    #[error("program type {0:?} appears twice")]
    Duplicate(String),
    #[error("program type {key}: {problem}")]
    Template { key: String, problem: String },
}

/// The catalogue, in life-stage order and, within a stage, in the data's order.
pub fn catalogue() -> &'static [ProgramType] {
    static CATALOGUE: LazyLock<Vec<ProgramType>> = LazyLock::new(|| {
        // The data is compiled in and checked by this module's tests; a failure here is a bug.
        load(CATALOGUE_JSON).unwrap_or_else(|error| panic!("{error}"))
    });
    &CATALOGUE
}

pub fn find(key: &str) -> Option<&'static ProgramType> {
    catalogue().iter().find(|program_type| program_type.key == key)
}

/// By key, or by the Japanese name a clerk would type.
pub fn find_by_key_or_name(typed: &str) -> Option<&'static ProgramType> {
    let typed = typed.trim();
    find(typed).or_else(|| catalogue().iter().find(|program_type| program_type.name == typed))
}

/// The schema of a parameter naming one type: its key (the Japanese name is accepted too).
pub fn key_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(
            catalogue().iter().map(|program_type| program_type.key.clone()),
        ))
        .description(Some(
            "a program type key (GET /program-types); its Japanese name is accepted too",
        ))
        .build()
}

/// The schema of a parameter naming types, comma-separated.
pub fn key_list_schema() -> utoipa::openapi::schema::Object {
    let keys: Vec<&str> = catalogue()
        .iter()
        .map(|program_type| program_type.key.as_str())
        .collect();
    let one = format!("({})", keys.join("|"));
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!("^({one}(,{one})*)?$")))
        .description(Some(
            "program type keys, comma-separated (Japanese names are accepted too)",
        ))
        .build()
}

fn load(json: &str) -> Result<Vec<ProgramType>, CatalogueError> {
    let mut types: Vec<ProgramType> = serde_json::from_str(json)?;
    let mut seen = BTreeSet::new();
    for program_type in &types {
        check(program_type)?;
        if !seen.insert(program_type.key.as_str()) || !seen.insert(program_type.name.as_str()) {
            return Err(CatalogueError::Duplicate(program_type.key.clone()));
        }
    }
    types.sort_by_key(|program_type| program_type.group);
    Ok(types)
}

/// What can be checked without validating the whole template (validation looks types up in
/// this very catalogue, so it cannot run while the catalogue is being built; the tests do it).
fn check(program_type: &ProgramType) -> Result<(), CatalogueError> {
    let key = &program_type.key;
    let snake_case = key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !snake_case {
        return Err(CatalogueError::Key(key.clone()));
    }
    let problem = |problem: String| CatalogueError::Template {
        key: key.clone(),
        problem,
    };
    if program_type.categories.is_empty() {
        return Err(problem("no category".into()));
    }
    EligibilityDocument::parse(&program_type.eligibility).map_err(|errors| problem(errors.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use kosodate_domain::{MunicipalityCode, serde_names_agree};

    use super::*;

    fn aomori() -> ProgramOwner {
        ProgramOwner::Local(MunicipalityCode::parse("022012").unwrap())
    }

    #[test]
    fn the_catalogue_loads_with_about_124_types() {
        let types = load(CATALOGUE_JSON).unwrap();
        assert!((120..=145).contains(&types.len()), "{} types", types.len());
        serde_names_agree::<LifeStage>().unwrap();
        for stage in <LifeStage as strum::VariantArray>::VARIANTS {
            assert!(
                types.iter().any(|program_type| program_type.group == *stage),
                "no type in {stage:?}"
            );
        }
    }

    #[test]
    fn every_template_validates_for_a_municipality() {
        for program_type in catalogue() {
            let input = program_type.template(&aomori());
            let content = input
                .validate()
                .unwrap_or_else(|errors| panic!("{}: {errors}", program_type.key));
            assert_eq!(content.program_type.as_deref(), Some(program_type.key.as_str()));
            assert_eq!(content.categories.len(), program_type.categories.len());
        }
    }

    #[test]
    fn a_type_is_found_by_key_or_name() {
        assert_eq!(find("vaccine_bcg").unwrap().name, "BCG予防接種");
        assert_eq!(
            find_by_key_or_name(" 一時預かり ").unwrap().key,
            "temporary_childcare"
        );
        assert!(find("no_such_type").is_none());
    }

    #[test]
    fn what_varies_is_said_in_the_template() {
        let program_type = find("checkup_3_years").unwrap();
        let description = program_type.template(&aomori()).description.unwrap();
        assert!(description.starts_with(VARIES_PREFIX), "{description}");
        assert!(description.contains("会場"), "{description}");
    }

    #[test]
    fn broken_data_is_refused() {
        let one = |key: &str| {
            format!(
                r#"[{{"key": "{key}", "name": "x", "group": "birth", "categories": ["other"], "summary": "x",
                "eligibility": {{"version": 1}}, "application_window": {{"kind": "always"}}}}]"#
            )
        };
        assert!(load(&one("good_key")).is_ok());
        assert!(matches!(load(&one("Bad-Key")), Err(CatalogueError::Key(_))));
        let twice = format!(
            "[{},{}]",
            &one("a")[1..one("a").len() - 1],
            &one("a")[1..one("a").len() - 1]
        );
        assert!(matches!(load(&twice), Err(CatalogueError::Duplicate(_))));
        let bad_rule = one("a").replace(r#"{"version": 1}"#, r#"{"version": 1, "rule": {"age": 3}}"#);
        assert!(matches!(load(&bad_rule), Err(CatalogueError::Template { .. })));
    }
}
