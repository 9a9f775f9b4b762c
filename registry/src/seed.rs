//! Reference data the registry starts with: the prefecture and its 40 municipalities (from the
//! project's copy of the municipality list) and the example programs that the embedded default
//! loads so that a newcomer sees real programs.

use kosodate_domain::MunicipalityCode;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::authz::StaffIdentity;
use crate::entity::municipality;
use crate::error::RegistryError;
use crate::import::{ImportRecord, ImportReport};
use crate::model::{ProgramInput, ProgramStatus};
use crate::store::Registry;

const MUNICIPALITIES_CSV: &str = include_str!("../../data/aomori-municipalities.csv");

/// The example programs, one file per owner, as published by each government.
pub const EXAMPLE_PROGRAMS: &[(&str, &str)] = &[
    ("national.json", include_str!("../seed/programs/national.json")),
    ("020001.json", include_str!("../seed/programs/020001.json")),
    ("022012.json", include_str!("../seed/programs/022012.json")),
    ("022021.json", include_str!("../seed/programs/022021.json")),
    ("022039.json", include_str!("../seed/programs/022039.json")),
    ("022080.json", include_str!("../seed/programs/022080.json")),
    ("024236.json", include_str!("../seed/programs/024236.json")),
    // Content every family meets, wherever it lives: immunisations, check-ups, the 母子健康手帳,
    // the birth registration (docs/content.md).
    ("statutory.json", include_str!("../seed/programs/statutory.json")),
];

/// Inserts or refreshes the municipality list. Idempotent: run at every start-up.
pub async fn seed_municipalities(db: &impl ConnectionTrait) -> Result<usize, RegistryError> {
    let rows = municipality_rows()?;
    let count = rows.len();
    municipality::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(municipality::Column::Code)
                .update_columns([
                    municipality::Column::Name,
                    municipality::Column::Kana,
                    municipality::Column::District,
                    municipality::Column::Kind,
                    municipality::Column::Region,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(count)
}

fn municipality_rows() -> Result<Vec<municipality::ActiveModel>, RegistryError> {
    let corrupt = |what: String| RegistryError::Corrupt(format!("municipality list: {what}"));
    let mut reader = csv::Reader::from_reader(MUNICIPALITIES_CSV.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| corrupt(e.to_string()))?;
        let field = |index: usize| record.get(index).unwrap_or_default().trim().to_owned();
        let optional = |index: usize| Some(field(index)).filter(|value| !value.is_empty());
        // The list's own check digits are verified here rather than trusted.
        let code = MunicipalityCode::parse(&field(0)).map_err(|e| corrupt(e.to_string()))?;
        rows.push(municipality::ActiveModel {
            code: Set(code.to_string()),
            name: Set(field(1)),
            district: Set(optional(2)),
            kana: Set(field(3)),
            kind: Set(field(4)),
            region: Set(optional(5)),
        });
    }
    Ok(rows)
}

/// The codes of the prefecture and its municipalities, as the municipality list has them.
pub fn municipality_codes() -> Vec<String> {
    let mut reader = csv::Reader::from_reader(MUNICIPALITIES_CSV.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|record| record.get(0).map(|code| code.trim().to_owned()))
        .collect()
}

/// The schema of a field that names the prefecture or one of its municipalities: one of the
/// listed codes, 6 digits or the 5 that spreadsheets keep (the check digit is then added).
pub fn municipality_code_schema() -> utoipa::openapi::schema::Object {
    code_schema(
        Vec::new(),
        "全国地方公共団体コード of the prefecture or one of its municipalities",
    )
}

/// A program's owner: `national` or a code as in [`municipality_code_schema`].
pub fn owner_schema() -> utoipa::openapi::schema::Object {
    code_schema(
        vec![crate::model::NATIONAL_OWNER.to_owned()],
        "national, or the 全国地方公共団体コード of the prefecture or one of its municipalities",
    )
}

fn code_schema(mut values: Vec<String>, description: &str) -> utoipa::openapi::schema::Object {
    for code in municipality_codes() {
        values.push(code[..5].to_owned());
        values.push(code);
    }
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .examples(["022012"])
        .build()
}

/// The example programs as import records, all to be published.
pub fn example_records() -> Result<Vec<ImportRecord>, RegistryError> {
    let mut records: Vec<ProgramInput> = Vec::new();
    for (file, json) in EXAMPLE_PROGRAMS {
        let inputs: Vec<ProgramInput> = serde_json::from_str(json)
            .map_err(|error| RegistryError::Corrupt(format!("example programs {file}: {error}")))?;
        records.extend(inputs);
    }
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(index, input)| ImportRecord {
            line: index + 1,
            id: None,
            status: Some(ProgramStatus::Published),
            input,
        })
        .collect())
}

impl Registry {
    /// Loads the example programs into an empty registry; a registry that has any program is
    /// left alone, so staff's own data is never mixed with examples.
    pub async fn load_examples_if_empty(&self) -> Result<Option<ImportReport>, RegistryError> {
        if self.count_programs().await? > 0 {
            return Ok(None);
        }
        let actor = StaffIdentity::administrator("example data");
        let report = self.import(&actor, example_records()?, false, |_| {}).await?;
        Ok(Some(report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_program_is_valid() {
        let records = example_records().unwrap();
        assert!(records.len() >= 20, "only {} example programs", records.len());
        for record in &records {
            if let Err(errors) = record.input.validate() {
                panic!("{} is invalid: {errors}", record.input.name);
            }
        }
    }

    /// The statutory content's conventions (docs/content.md): a type, a rule, a source, a review
    /// date, and a last description line that says what the municipality decides, taken from
    /// the type so that the template and the example say the same.
    #[test]
    fn statutory_programs_say_their_type_source_and_what_varies() {
        let json = EXAMPLE_PROGRAMS
            .iter()
            .find(|(file, _)| *file == "statutory.json")
            .map(|(_, json)| *json)
            .unwrap();
        let programs: Vec<ProgramInput> = serde_json::from_str(json).unwrap();
        assert!(programs.len() >= 20, "{}", programs.len());
        for input in programs {
            let content = input.validate().unwrap();
            let program_type = content
                .program_type
                .as_deref()
                .and_then(crate::program_types::find)
                .unwrap_or_else(|| panic!("{} has no known type", content.name));
            assert!(
                content.eligibility.get("rule").is_some(),
                "{} has no rule",
                content.name
            );
            assert!(
                content.source_url.is_some() && content.last_reviewed_on.is_some(),
                "{}",
                content.name
            );
            let last_line = content.description.as_deref().and_then(|d| d.lines().last());
            assert_eq!(
                last_line,
                program_type.varies_note().as_deref(),
                "{}",
                content.name
            );
        }
    }

    #[test]
    fn the_municipality_list_has_the_prefecture_and_40_municipalities() {
        let rows = municipality_rows().unwrap();
        assert_eq!(rows.len(), 41);
    }
}
