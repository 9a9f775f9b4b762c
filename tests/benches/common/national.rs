//! The national corpus the search benchmarks share: 100,000 synthetic programs (by default) made
//! from the 26 example programs, owned by the nation, the 47 prefectures and about 1,740
//! municipalities (Aomori's real 40, invented ones elsewhere with valid codes), names prefixed with
//! the owner and varied (令和8年度, 第2子以降…), summaries and descriptions reshuffled and mixed
//! across programs, categories and application windows varied. Deterministic: a fixed seed. Also
//! the relevance set's queries as cases, and inserting the corpus into PostgreSQL.

// Each benchmark uses part of this module.
#![allow(dead_code, clippy::print_stdout)] // a benchmark prints its progress

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use kosodate_domain::Vocabulary;
use kosodate_domain::{MunicipalityCode, ProgramId};
use kosodate_registry::{ApplicationWindow, Category, LifeEvent, Program, ProgramOwner, ProgramStatus};
use kosodate_search::SearchQuery;
use kosodate_tests::relevance::load_queries;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use strum::VariantArray;

pub const SEED: u64 = 20_261_122;
/// Rows per multi-row INSERT: 24 parameters each stays under PostgreSQL's 65,535.
const INSERT_BATCH: usize = 1_000;
const INSERTS_PER_TRANSACTION: usize = 10;

const PREFECTURES: &str = "\
    北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 \
    東京都 神奈川県 新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 \
    滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 \
    香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県";
/// Invented municipality names are a character of each and 市, 町 or 村.
const NAME_HEADS: &str = "北南東西中上下大小高新本若緑桜松竹梅青白";
const NAME_TAILS: &str = "山川田原野沢島浜崎岡台谷森里瀬浦木井宮平";
/// Municipalities invented per prefecture other than Aomori: about 1,740 in all, as in Japan.
const MUNICIPALITIES_PER_PREFECTURE: usize = 37;
const NAME_PREFIXES: [&str; 3] = ["令和8年度 ", "令和7年度 ", "新・"];
const NAME_SUFFIXES: [&str; 6] = [
    "（第2子以降）",
    "（第3子以降）",
    "（多胎児）",
    "（拡充分）",
    "（ひとり親世帯）",
    "（転入世帯）",
];

/// Whether the benchmark was asked to measure: `cargo test --all-targets` runs bench targets too,
/// without `--bench` and unoptimised, and then it measures nothing.
pub fn measuring(benchmark: &str) -> bool {
    let asked = std::env::args().any(|arg| arg == "--bench");
    if !asked {
        println!("{benchmark}: nothing measured outside `cargo bench` (pass --bench to run it directly)");
    }
    asked
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone)]
pub struct Owner {
    pub owner: ProgramOwner,
    pub name: String,
}

/// Everyone who may run a program, and Aomori's municipalities (the relevance set's residents).
#[derive(Debug)]
pub struct Owners {
    pub prefectures: Vec<Owner>,
    pub municipalities: Vec<Owner>,
    pub aomori: Vec<Owner>,
}

impl Owners {
    pub fn load() -> anyhow::Result<Self> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/aomori-municipalities.csv");
        let csv =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut prefectures = Vec::new();
        let mut aomori = Vec::new();
        for line in csv.lines().skip(1).filter(|line| !line.trim().is_empty()) {
            let mut columns = line.split(',');
            let (Some(code), Some(name)) = (columns.next(), columns.next()) else {
                anyhow::bail!("malformed line {line:?} in {}", path.display());
            };
            let code = MunicipalityCode::parse(code)?;
            let owner = Owner {
                owner: ProgramOwner::Local(code),
                name: name.to_owned(),
            };
            match code.is_prefecture() {
                true => prefectures.push(owner),
                false => aomori.push(owner),
            }
        }
        let mut municipalities = aomori.clone();
        for (number, name) in (1u8..)
            .zip(PREFECTURES.split_whitespace())
            .filter(|(number, _)| *number != 2)
        {
            let code = MunicipalityCode::parse(&format!("{number:02}000"))?;
            prefectures.push(Owner {
                owner: ProgramOwner::Local(code),
                name: name.to_owned(),
            });
            municipalities.extend(invented_municipalities(number)?);
        }
        Ok(Self {
            prefectures,
            municipalities,
            aomori,
        })
    }
}

/// Cities (x2xx), towns (x3xx) and villages (x4xx) with valid check digits and made-up names.
fn invented_municipalities(prefecture: u8) -> anyhow::Result<Vec<Owner>> {
    (0..MUNICIPALITIES_PER_PREFECTURE)
        .map(|number| {
            let (kind, suffix, within) = match number {
                0..15 => (2, "市", number),
                15..32 => (3, "町", number - 15),
                _ => (4, "村", number - 32),
            };
            let code = MunicipalityCode::parse(&format!("{prefecture:02}{kind}{:02}", within + 1))?;
            let seed = usize::from(prefecture);
            let heads: Vec<char> = NAME_HEADS.chars().collect();
            let tails: Vec<char> = NAME_TAILS.chars().collect();
            let head = heads[(seed * 7 + number * 3) % heads.len()];
            let tail = tails[(seed * 11 + number * 13) % tails.len()];
            Ok(Owner {
                owner: ProgramOwner::Local(code),
                name: format!("{head}{tail}{suffix}"),
            })
        })
        .collect()
}

/// Sentences of a text, each with its 。.
fn sentences(text: &str) -> Vec<String> {
    text.split_inclusive(['。', '\n'])
        .map(str::trim)
        .filter(|sentence| !sentence.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A template's text as another owner would write it: their name where the template has its own.
fn renamed(text: &str, from: Option<&str>, to: &Owner) -> String {
    match (from, to.owner) {
        (Some(from), ProgramOwner::Local(_)) => text.replace(from, &to.name),
        _ => text.to_owned(),
    }
}

/// The programs the synthetic ones are made from, with the names of their owners.
pub struct Templates {
    programs: Vec<Program>,
    owner_names: Vec<Option<String>>,
}

impl Templates {
    pub fn new(programs: Vec<Program>, owners: &Owners) -> Self {
        let owner_names = programs
            .iter()
            .map(|program| {
                owners
                    .prefectures
                    .iter()
                    .chain(&owners.aomori)
                    .find(|owner| owner.owner == program.content.owner)
                    .map(|owner| owner.name.clone())
            })
            .collect();
        Self {
            programs,
            owner_names,
        }
    }

    /// Template `index`'s text fields rewritten for `owner`.
    fn text(&self, index: usize, owner: &Owner, pick: impl Fn(&Program) -> Option<&str>) -> Option<String> {
        pick(&self.programs[index]).map(|text| renamed(text, self.owner_names[index].as_deref(), owner))
    }
}

struct Generator<'a> {
    templates: &'a Templates,
    owners: &'a Owners,
    rng: ChaCha8Rng,
    /// (owner, name) is unique in the registry.
    taken: HashSet<(ProgramOwner, String)>,
    created_at: DateTime<Utc>,
}

impl Generator<'_> {
    /// 0.5% national, 2% prefectures, the rest spread evenly over the municipalities.
    fn owner(&mut self) -> Owner {
        let draw: f64 = self.rng.random();
        let national = Owner {
            owner: ProgramOwner::National,
            name: "国".to_owned(),
        };
        let pool = match draw {
            ..0.005 => return national,
            ..0.025 => &self.owners.prefectures,
            _ => &self.owners.municipalities,
        };
        pool.choose(&mut self.rng).cloned().unwrap_or(national)
    }

    fn name(&mut self, template: usize, owner: &Owner) -> String {
        let base = self
            .templates
            .text(template, owner, |program| Some(&program.content.name))
            .unwrap_or_default();
        let local = owner.owner != ProgramOwner::National;
        let mut name = match local && !base.contains(&owner.name) && self.rng.random_bool(0.5) {
            true => format!("{}{base}", owner.name),
            false => base,
        };
        if self.rng.random_bool(0.15) {
            name = format!("{}{name}", NAME_PREFIXES.choose(&mut self.rng).unwrap_or(&""));
        }
        if self.rng.random_bool(0.25) {
            name.push_str(NAME_SUFFIXES.choose(&mut self.rng).unwrap_or(&""));
        }
        let mut unique = name.clone();
        for number in 2.. {
            if self.taken.insert((owner.owner, unique.clone())) {
                break;
            }
            unique = format!("{name}（その{number}）");
        }
        unique
    }

    /// The template's sentences, sometimes reordered, with one or two from another program.
    fn mixed(&mut self, own: Option<&str>, other: Option<&str>, mix: f64) -> Option<String> {
        let mut parts = own.map(sentences).unwrap_or_default();
        if parts.len() > 2 && self.rng.random_bool(0.5) {
            parts[1..].shuffle(&mut self.rng);
        }
        if let Some(other) = other
            && self.rng.random_bool(mix)
        {
            let borrowed = sentences(other);
            let count = self.rng.random_range(1..=2);
            for sentence in borrowed.choose_multiple(&mut self.rng, count) {
                let at = self.rng.random_range(0..=parts.len());
                parts.insert(at, sentence.clone());
            }
        }
        (!parts.is_empty()).then(|| parts.concat())
    }

    fn categories(&mut self, template: &[Category]) -> Vec<Category> {
        let mut categories = template.to_vec();
        if self.rng.random_bool(0.15)
            && let Some(extra) = Category::VARIANTS.choose(&mut self.rng)
            && !categories.contains(extra)
        {
            categories.push(*extra);
        }
        categories
    }

    /// Mostly always open; a quarter within fixed dates of 2026–27 (some open-ended), the rest
    /// within days of a life event.
    fn window(&mut self) -> ApplicationWindow {
        let draw: f64 = self.rng.random();
        if draw < 0.6 {
            return ApplicationWindow::Always;
        }
        if draw < 0.85 {
            let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
            let opens = start.checked_add_days(Days::new(self.rng.random_range(0..330)));
            let closes =
                opens.and_then(|day| day.checked_add_days(Days::new(self.rng.random_range(14..240))));
            let (from, to) = (calendar_date(opens), calendar_date(closes));
            return match self.rng.random_range(0..10) {
                0 => ApplicationWindow::Fixed { from: None, to },
                1 => ApplicationWindow::Fixed { from, to: None },
                _ => ApplicationWindow::Fixed { from, to },
            };
        }
        ApplicationWindow::Relative {
            event: *LifeEvent::VARIANTS
                .choose(&mut self.rng)
                .unwrap_or(&LifeEvent::Birth),
            within_days: *[14, 15, 30, 60, 90].choose(&mut self.rng).unwrap_or(&14),
        }
    }

    fn program(&mut self, number: usize) -> Program {
        let owner = self.owner();
        let count = self.templates.programs.len();
        let template = self.rng.random_range(0..count);
        let other = (template + self.rng.random_range(1..count)) % count;
        let source = self.templates.programs[template].clone();
        let text = |index, pick: fn(&Program) -> Option<&str>| self.templates.text(index, &owner, pick);
        let (summary, other_summary) = (
            text(template, |p| Some(&p.content.summary)),
            text(other, |p| Some(&p.content.summary)),
        );
        let (description, other_description) = (
            text(template, |p| p.content.description.as_deref()),
            text(other, |p| p.content.description.as_deref()),
        );
        let eligibility_summary = text(template, |p| p.content.eligibility_summary.as_deref());
        let short_name = text(template, |p| p.content.short_name.as_deref());
        let mut content = source.content;
        content.name = self.name(template, &owner);
        content.owner = owner.owner;
        content.short_name = short_name;
        content.summary = self
            .mixed(summary.as_deref(), other_summary.as_deref(), 0.3)
            .unwrap_or_default();
        content.description = self.mixed(description.as_deref(), other_description.as_deref(), 0.6);
        content.eligibility_summary = eligibility_summary;
        content.categories = self.categories(&content.categories);
        content.application_window = self.window();
        let updated_at =
            self.created_at + chrono::Duration::seconds(i64::try_from(number).unwrap_or_default());
        Program {
            id: ProgramId::from(uuid::Builder::from_random_bytes(self.rng.random()).into_uuid()),
            status: ProgramStatus::Published,
            version: 1,
            material_version: 1,
            content,
            created_at: self.created_at,
            updated_at,
            published_at: Some(updated_at),
            archived_at: None,
        }
    }
}

/// The example programs as they are, then synthetic ones up to `count`.
pub fn corpus(templates: &Templates, owners: &Owners, count: usize) -> Vec<Program> {
    let mut generator = Generator {
        templates,
        owners,
        rng: ChaCha8Rng::seed_from_u64(SEED),
        taken: templates
            .programs
            .iter()
            .map(|program| (program.content.owner, program.content.name.clone()))
            .collect(),
        created_at: Utc
            .with_ymd_and_hms(2026, 4, 1, 9, 0, 0)
            .single()
            .unwrap_or_default(),
    };
    let mut programs: Vec<Program> = templates.programs.iter().take(count).cloned().collect();
    while programs.len() < count {
        let number = programs.len();
        programs.push(generator.program(number));
    }
    programs
}

pub fn describe_corpus(programs: &[Program], owners: &Owners) {
    let national = programs
        .iter()
        .filter(|program| program.content.owner == ProgramOwner::National)
        .count();
    let aomori: HashSet<ProgramOwner> = owners.aomori.iter().map(|owner| owner.owner).collect();
    let in_aomori = programs
        .iter()
        .filter(|program| aomori.contains(&program.content.owner))
        .count();
    let text_bytes: usize = programs
        .iter()
        .map(|program| {
            let content = &program.content;
            content.name.len() + content.summary.len() + content.description.as_ref().map_or(0, String::len)
        })
        .sum();
    println!(
        "corpus: {} programs ({national} national, {in_aomori} of Aomori's 40 municipalities); {} \
         prefectures, {} municipalities; name + summary + description {:.1} MB",
        programs.len(),
        owners.prefectures.len(),
        owners.municipalities.len(),
        text_bytes as f64 / 1e6,
    );
}

/// A query of the relevance set, with the municipality its shapes with one use: its own, or one
/// of Aomori's in turn.
#[derive(Debug, Clone)]
pub struct Case {
    pub text: String,
    pub query: SearchQuery,
    pub municipality: MunicipalityCode,
}

pub fn cases(aomori: &[Owner]) -> anyhow::Result<Vec<Case>> {
    let mut cases = Vec::new();
    for (number, query) in load_queries()?.into_iter().enumerate() {
        let parsed = match SearchQuery::parse(&query.q) {
            Ok(parsed) => parsed,
            Err(error) => {
                println!("  skipped query {:?}: {error}", query.q);
                continue;
            }
        };
        let fallback = match aomori[number % aomori.len()].owner {
            ProgramOwner::Local(code) => code,
            ProgramOwner::National => kosodate_domain::PREFECTURE_CODE,
        };
        let municipality = match &query.municipality {
            Some(code) => MunicipalityCode::parse(code)?,
            None => fallback,
        };
        cases.push(Case {
            text: query.q,
            query: parsed,
            municipality,
        });
    }
    Ok(cases)
}

const COLUMNS: [&str; 24] = [
    "id",
    "owner_code",
    "name",
    "short_name",
    "categories",
    "summary",
    "description",
    "eligibility_summary",
    "eligibility",
    "benefit_text",
    "benefit_amount_yen",
    "application_window",
    "application_methods",
    "documents",
    "contact",
    "source_url",
    "status",
    "last_reviewed_on",
    "version",
    "material_version",
    "created_at",
    "updated_at",
    "published_at",
    "archived_at",
];

fn row_values(program: &Program) -> anyhow::Result<[sea_orm::Value; 24]> {
    let content = &program.content;
    let amount = content
        .benefit
        .amount_yen
        .map(|amount| i64::try_from(amount).unwrap_or(i64::MAX));
    Ok([
        program.id.to_string().into(),
        content.owner.as_key().into(),
        content.name.clone().into(),
        content.short_name.clone().into(),
        serde_json::to_value(&content.categories)?.into(),
        content.summary.clone().into(),
        content.description.clone().into(),
        content.eligibility_summary.clone().into(),
        content.eligibility.clone().into(),
        content.benefit.description.clone().into(),
        amount.into(),
        serde_json::to_value(&content.application_window)?.into(),
        serde_json::to_value(&content.application_methods)?.into(),
        serde_json::to_value(&content.documents)?.into(),
        serde_json::to_value(&content.contact)?.into(),
        content.source_url.clone().into(),
        program.status.id().to_owned().into(),
        content.last_reviewed_on.map(NaiveDate::from).into(),
        program.version.into(),
        program.material_version.into(),
        program.created_at.into(),
        program.updated_at.into(),
        program.published_at.into(),
        program.archived_at.into(),
    ])
}

fn insert_statement(programs: &[Program]) -> anyhow::Result<Statement> {
    let mut values = Vec::with_capacity(programs.len() * COLUMNS.len());
    let mut rows = Vec::with_capacity(programs.len());
    for program in programs {
        let first = values.len();
        values.extend(row_values(program)?);
        let placeholders: Vec<String> = (first + 1..=values.len())
            .map(|number| format!("${number}"))
            .collect();
        rows.push(format!("({})", placeholders.join(", ")));
    }
    let sql = format!(
        "INSERT INTO programs ({}) VALUES {}",
        COLUMNS.join(", "),
        rows.join(", ")
    );
    Ok(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
}

/// Multi-row INSERTs, several to a transaction; how long it took.
pub async fn insert_programs(db: &DatabaseConnection, programs: &[Program]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for (number, group) in programs
        .chunks(INSERT_BATCH * INSERTS_PER_TRANSACTION)
        .enumerate()
    {
        let transaction = db.begin().await?;
        for batch in group.chunks(INSERT_BATCH) {
            transaction.execute_raw(insert_statement(batch)?).await?;
        }
        transaction.commit().await?;
        let done = (number + 1) * INSERT_BATCH * INSERTS_PER_TRANSACTION;
        if done.is_multiple_of(20_000) {
            println!("  inserted {done} ({:.1} s)", started.elapsed().as_secs_f64());
        }
    }
    Ok(started.elapsed())
}

fn calendar_date(date: Option<NaiveDate>) -> Option<kosodate_domain::CalendarDate> {
    date.and_then(|date| kosodate_domain::CalendarDate::try_from(date).ok())
}
