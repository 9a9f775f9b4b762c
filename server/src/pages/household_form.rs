//! The household form's pieces that the parent's page (`/me/household`) and the counter
//! registration (`/staff/counter`) share: what the form holds as entered, reading it from the
//! posted fields, adding and removing child rows without JavaScript, turning it into the API's
//! input, and the validation's pointers as the form's field names. The fields themselves are one
//! template, `household_fields.html`, included by both pages.

use std::collections::BTreeMap;

use kosodate_domain::{CalendarDate, Vocabulary};
use kosodate_households::{ChildInput, HouseholdInput};
use kosodate_matcher::{Childcare, IncomeBand};
use kosodate_registry::FieldError;

/// What the form holds, as entered (strings), so that a form with errors comes back as typed.
#[derive(Debug, Clone, Default)]
pub struct HouseholdForm {
    pub municipality_code: String,
    pub children: Vec<ChildRow>,
    pub single_parent: String,
    pub income_band: String,
}

#[derive(Debug, Clone, Default)]
pub struct ChildRow {
    pub kind: String,
    pub date: String,
    pub nickname: String,
    pub disability: String,
    pub childcare: String,
    /// What is wrong with the row's date, once validated.
    pub date_error: Option<String>,
    pub nickname_error: Option<String>,
}

pub fn labels<T: Vocabulary>() -> Vec<(&'static str, &'static str)> {
    T::VARIANTS
        .iter()
        .map(|value| (value.id(), value.label_ja()))
        .collect()
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.trim())
}

/// The validation's JSON pointers, as the form's field names.
pub fn field_errors(errors: &[FieldError]) -> BTreeMap<String, String> {
    let mut by_field = BTreeMap::new();
    for error in errors {
        let parts: Vec<&str> = error.pointer.trim_start_matches('/').split('/').collect();
        let name = match parts.as_slice() {
            ["children", index, "birth_date" | "due_date"] | ["children", index] => {
                format!("child{index}_date")
            }
            ["children", index, "nickname"] => format!("child{index}_nickname"),
            ["children", index, "disability_certificate"] => format!("child{index}_disability"),
            ["children", index, "childcare"] => format!("child{index}_childcare"),
            ["children"] => "child0_date".to_owned(),
            [first, ..] => (*first).to_owned(),
            [] => "municipality_code".to_owned(),
        };
        by_field.entry(name).or_insert_with(|| error.detail.clone());
    }
    by_field
}

impl HouseholdForm {
    pub fn of(input: &HouseholdInput) -> Self {
        let answer = |value: Option<bool>| match value {
            Some(true) => "yes".to_owned(),
            Some(false) => "no".to_owned(),
            None => String::new(),
        };
        let children = input
            .children
            .iter()
            .map(|child| {
                let (kind, date) = match (child.birth_date, child.due_date) {
                    (_, Some(due)) => ("due", due.to_string()),
                    (Some(born), None) => ("born", born.to_string()),
                    (None, None) => ("born", String::new()),
                };
                ChildRow {
                    kind: kind.to_owned(),
                    date,
                    nickname: child.nickname.clone().unwrap_or_default(),
                    disability: answer(child.disability_certificate),
                    childcare: child
                        .childcare
                        .map(|care| care.id().to_owned())
                        .unwrap_or_default(),
                    ..ChildRow::default()
                }
            })
            .collect();
        Self {
            municipality_code: input.municipality_code.clone(),
            children,
            single_parent: answer(input.single_parent),
            income_band: input
                .income_band
                .map(|band| band.id().to_owned())
                .unwrap_or_default(),
        }
    }

    pub fn from_fields(fields: &[(String, String)]) -> Self {
        let rows = fields
            .iter()
            .filter_map(|(name, _)| {
                name.strip_prefix("child")?
                    .split('_')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |last| (last + 1).min(16));
        let children = (0..rows)
            .map(|index| {
                let value = |name: &str| field(fields, &format!("child{index}_{name}")).to_owned();
                ChildRow {
                    kind: value("kind"),
                    date: value("date"),
                    nickname: value("nickname"),
                    disability: value("disability"),
                    childcare: value("childcare"),
                    ..ChildRow::default()
                }
            })
            .collect();
        Self {
            municipality_code: field(fields, "municipality_code").to_owned(),
            children,
            single_parent: field(fields, "single_parent").to_owned(),
            income_band: field(fields, "income_band").to_owned(),
        }
    }

    /// The API's input, or the fields the form itself cannot read (a date that is no date).
    pub fn to_input(&self) -> (HouseholdInput, BTreeMap<String, String>) {
        let mut errors = BTreeMap::new();
        let mut children = Vec::new();
        for (index, row) in self.children.iter().enumerate() {
            if row.date.is_empty() {
                continue;
            }
            let Ok(date) = CalendarDate::parse(&row.date) else {
                errors.insert(
                    format!("child{index}_date"),
                    "日付を「2025-04-01」のように入力してください".to_owned(),
                );
                continue;
            };
            let (birth_date, due_date) = match row.kind.as_str() {
                "due" => (None, Some(date)),
                _ => (Some(date), None),
            };
            children.push(ChildInput {
                nickname: Some(row.nickname.clone()).filter(|nickname| !nickname.is_empty()),
                birth_date,
                due_date,
                disability_certificate: yes_no(&row.disability),
                childcare: Childcare::parse(&row.childcare),
            });
        }
        if children.is_empty() && errors.is_empty() {
            errors.insert(
                "child0_date".to_owned(),
                "お子さんの生年月日か出産予定日を1人分以上入力してください".to_owned(),
            );
        }
        let input = HouseholdInput {
            municipality_code: self.municipality_code.clone(),
            children,
            single_parent: yes_no(&self.single_parent),
            income_band: IncomeBand::parse(&self.income_band),
            preferences: None,
        };
        (input, errors)
    }
}

fn yes_no(answer: &str) -> Option<bool> {
    match answer {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// What a press of "add a child" or "remove" asks of the form.
#[derive(Debug, Clone, Copy)]
pub enum RowAction {
    Add,
    Remove(usize),
}

impl RowAction {
    /// The row action of the pressed button (`add_child`, `remove_{i}`), if it was one.
    pub fn of(action: &str) -> Option<Self> {
        match action {
            "add_child" => Some(Self::Add),
            other => other
                .strip_prefix("remove_")
                .and_then(|index| index.parse().ok())
                .map(Self::Remove),
        }
    }
}

impl HouseholdForm {
    /// Adds or removes a child row, as the button asked.
    pub fn apply(&mut self, action: RowAction) {
        match action {
            RowAction::Add => self.children.push(ChildRow::default()),
            RowAction::Remove(index) if index < self.children.len() => drop(self.children.remove(index)),
            RowAction::Remove(_) => {}
        }
    }

    /// Puts each child row's errors next to its fields.
    pub fn show_errors(&mut self, errors: &BTreeMap<String, String>) {
        for (index, row) in self.children.iter_mut().enumerate() {
            row.date_error = errors.get(&format!("child{index}_date")).cloned();
            row.nickname_error = errors.get(&format!("child{index}_nickname")).cloned();
        }
    }
}

/// The message for a field, if it has one.
pub fn error_of<'a>(errors: &'a BTreeMap<String, String>, field: &str) -> Option<&'a str> {
    errors.get(field).map(String::as_str)
}

/// Each error with the id of the control it is about, for the error summary's links: a field's
/// own id unless `anchors` names another (a group's first control).
pub fn error_links<'a>(
    errors: &'a BTreeMap<String, String>,
    anchors: &[(&str, &str)],
) -> Vec<(String, &'a str)> {
    errors
        .iter()
        .map(|(field, message)| {
            let anchor = anchors
                .iter()
                .find(|(name, _)| name == field)
                .map_or(field.as_str(), |(_, anchor)| anchor);
            (anchor.to_owned(), message.as_str())
        })
        .collect()
}
