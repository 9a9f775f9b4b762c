//! The index's schema and how a registry program becomes one index document.

use chrono::{DateTime, NaiveDate, Utc};
use kosodate_domain::ProgramId;
use kosodate_domain::Vocabulary;
use kosodate_registry::{ApplicationWindow, Category, Program, ProgramOwner};
use serde::{Deserialize, Serialize};
use strum::VariantArray;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::{TantivyDocument, Term};
use utoipa::ToSchema;
use xxhash_rust::xxh3::xxh3_64;

use crate::analyzer::TEXT_ANALYZER;

/// Bump when the schema or what goes into a field changes: an index built by another version is
/// rebuilt from the database when the server starts.
pub const SCHEMA_VERSION: u32 = 3;

/// The fast fields a search's matches are counted by (`tally.rs`).
pub const OWNER_FIELD: &str = "owner";
pub const CATEGORIES_FIELD: &str = "categories";

/// The `owner` fast field: 0 for the nation, otherwise the 6-digit code as a number.
pub fn owner_number(owner: &ProgramOwner) -> u64 {
    match owner {
        ProgramOwner::National => 0,
        ProgramOwner::Local(code) => code.as_str().parse().unwrap_or_default(),
    }
}

/// The owner's key (`national` or the 6-digit code) from its `owner` fast field.
pub(crate) fn owner_key(number: u64) -> String {
    match number {
        0 => kosodate_registry::NATIONAL_OWNER.to_owned(),
        code => format!("{code:06}"),
    }
}

/// The `categories` fast field: one bit per category, in `Category::VARIANTS` order.
pub fn category_bits(categories: &[Category]) -> u64 {
    categories
        .iter()
        .filter_map(|category| Category::VARIANTS.iter().position(|variant| variant == category))
        .fold(0, |bits, index| bits | (1 << index))
}

/// What a search result shows of a program, stored in the index so that a search needs no
/// database round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProgramCard {
    #[schema(value_type = String, format = Uuid)]
    pub id: ProgramId,
    /// `national`, or the 6-digit code of the prefecture or municipality that runs the program.
    #[schema(value_type = String, example = "022012")]
    pub owner: ProgramOwner,
    pub name: String,
    pub short_name: Option<String>,
    pub categories: Vec<Category>,
    /// The 制度類型 key, when the program has one.
    #[serde(default)]
    pub program_type: Option<String>,
    pub summary: String,
    pub application_window: ApplicationWindow,
    pub benefit_amount_yen: Option<u64>,
    pub source_url: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<&Program> for ProgramCard {
    fn from(program: &Program) -> Self {
        let content = &program.content;
        Self {
            id: program.id,
            owner: content.owner,
            name: content.name.clone(),
            short_name: content.short_name.clone(),
            categories: content.categories.clone(),
            program_type: content.program_type.clone(),
            summary: content.summary.clone(),
            application_window: content.application_window.clone(),
            benefit_amount_yen: content.benefit.amount_yen,
            source_url: content.source_url.clone(),
            version: program.version,
            updated_at: program.updated_at,
        }
    }
}

/// The index's fields, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub key: Field,
    pub version: Field,
    pub name: Field,
    pub reading: Field,
    pub summary: Field,
    pub body: Field,
    pub area: Field,
    pub category: Field,
    /// The owner and the categories again, as numbers that count fast (`tally.rs`).
    pub owner: Field,
    pub categories: Field,
    pub program_type: Field,
    pub open_from: Field,
    pub open_to: Field,
    pub card: Field,
    pub eligibility: Field,
}

pub const KEY_FIELD: &str = "key";

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let text = |stored: bool| {
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(TEXT_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            let options = TextOptions::default().set_indexing_options(indexing);
            if stored { options.set_stored() } else { options }
        };
        let mut builder = Schema::builder();
        let fields = Fields {
            id: builder.add_text_field("id", STRING | STORED),
            key: builder.add_u64_field(KEY_FIELD, FAST),
            version: builder.add_i64_field("version", FAST | STORED),
            name: builder.add_text_field("name", text(true)),
            reading: builder.add_text_field("reading", text(false)),
            summary: builder.add_text_field("summary", text(true)),
            body: builder.add_text_field("body", text(true)),
            area: builder.add_facet_field("area", FacetOptions::default()),
            category: builder.add_facet_field("category", FacetOptions::default()),
            owner: builder.add_u64_field(OWNER_FIELD, FAST),
            categories: builder.add_u64_field(CATEGORIES_FIELD, FAST),
            program_type: builder.add_facet_field("program_type", FacetOptions::default()),
            open_from: builder.add_i64_field("open_from", INDEXED | FAST),
            open_to: builder.add_i64_field("open_to", INDEXED | FAST),
            card: builder.add_text_field("card", STORED),
            eligibility: builder.add_text_field("eligibility", STORED),
        };
        (builder.build(), fields)
    }

    pub fn id_term(&self, id: ProgramId) -> Term {
        Term::from_field_text(self.id, &id.to_string())
    }

    /// One document per program. `reading` is the ひらがな reading of the name and summary, when
    /// a dictionary is available.
    pub fn document(&self, program: &Program, reading: Option<String>) -> TantivyDocument {
        let content = &program.content;
        let mut document = TantivyDocument::default();
        document.add_text(self.id, program.id.to_string());
        document.add_u64(self.key, program_key(program.id));
        document.add_i64(self.version, i64::from(program.version));
        document.add_text(self.name, &content.name);
        if let Some(short_name) = &content.short_name {
            document.add_text(self.name, short_name);
        }
        if let Some(reading) = reading {
            document.add_text(self.reading, reading);
        }
        document.add_text(self.summary, &content.summary);
        for text in body_texts(program) {
            document.add_text(self.body, text);
        }
        document.add_facet(self.area, area_facet(&content.owner));
        for category in &content.categories {
            document.add_facet(self.category, category_facet(*category));
        }
        document.add_u64(self.owner, owner_number(&content.owner));
        document.add_u64(self.categories, category_bits(&content.categories));
        if let Some(program_type) = &content.program_type {
            document.add_facet(self.program_type, program_type_facet(program_type));
        }
        let (from, to) = open_days(&content.application_window);
        document.add_i64(self.open_from, from);
        document.add_i64(self.open_to, to);
        let card = serde_json::to_string(&ProgramCard::from(program)).unwrap_or_default();
        document.add_text(self.card, card);
        document.add_text(self.eligibility, content.eligibility.to_string());
        document
    }
}

/// The text that ranks below name and summary.
fn body_texts(program: &Program) -> impl Iterator<Item = &str> {
    let content = &program.content;
    [
        content.description.as_deref(),
        content.eligibility_summary.as_deref(),
        content.benefit.description.as_deref(),
        content.contact.section.as_deref(),
    ]
    .into_iter()
    .flatten()
    .chain(content.documents.iter().map(String::as_str))
    .chain(
        content
            .application_methods
            .iter()
            .filter_map(|method| method.note.as_deref()),
    )
}

/// A program's 64-bit key in fast fields: the age filter looks its rule up by it.
pub fn program_key(id: ProgramId) -> u64 {
    xxh3_64(id.to_string().as_bytes())
}

pub fn area_facet(owner: &ProgramOwner) -> Facet {
    Facet::from_path([owner.as_key()])
}

pub fn category_facet(category: Category) -> Facet {
    Facet::from_path([category.id()])
}

pub fn program_type_facet(key: &str) -> Facet {
    Facet::from_path([key])
}

/// Days from the common era, the unit of the window fields.
pub fn day_number(date: NaiveDate) -> i64 {
    i64::from(chrono::Datelike::num_days_from_ce(&date))
}

/// The days on which one can apply, as a closed range. A window relative to a birth or a move is
/// open to whoever has the event, so it counts as always open.
fn open_days(window: &ApplicationWindow) -> (i64, i64) {
    match window {
        ApplicationWindow::Fixed { from, to } => (
            from.map_or(i64::MIN, |date| day_number(date.date())),
            to.map_or(i64::MAX, |date| day_number(date.date())),
        ),
        ApplicationWindow::Always | ApplicationWindow::Relative { .. } => (i64::MIN, i64::MAX),
    }
}
