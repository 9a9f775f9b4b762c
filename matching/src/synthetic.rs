//! A deterministic synthetic population and program catalogue, shared by tests and benchmarks
//! so that matching can be measured at scale without anyone's real data. Household `i` of seed
//! `s` is always the same household: each index has its own ChaCha stream, so any slice can be
//! generated in parallel without the rest.
//!
//! Distributions are rough but realistic for Aomori: municipality by population (2020 census),
//! one to four children (1: 44 %, 2: 40 %, 3: 13 %, 4: 3 %), children spread over 0–18 years
//! with one to six years between siblings, twins 1.5 %, a pregnancy in 6 % of households, and
//! each optional fact shared by about half of the parents.

use chrono::{Days, NaiveDate};
use kosodate_domain::MunicipalityCode;
use kosodate_matcher::{
    Application, Area, Child, Childcare, EligibilityDocument, Household, IncomeBand, ProgramRule,
};
use kosodate_registry::import::ImportRecord;
use kosodate_registry::{ProgramInput, ProgramStatus};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use strum::VariantArray;

/// Population of each municipality of Aomori Prefecture (2020 census, rounded to hundreds).
pub const POPULATION: &[(&str, u32)] = &[
    ("022012", 275_200),
    ("022021", 168_500),
    ("022039", 223_400),
    ("022047", 31_900),
    ("022055", 51_400),
    ("022063", 60_400),
    ("022071", 39_200),
    ("022080", 54_100),
    ("022098", 30_900),
    ("022101", 30_600),
    ("023019", 10_200),
    ("023035", 2_300),
    ("023043", 2_600),
    ("023078", 5_400),
    ("023213", 9_700),
    ("023230", 7_300),
    ("023434", 1_300),
    ("023612", 14_800),
    ("023621", 8_700),
    ("023671", 7_300),
    ("023817", 12_800),
    ("023841", 12_300),
    ("023876", 10_200),
    ("024015", 12_900),
    ("024023", 14_800),
    ("024058", 10_300),
    ("024066", 4_300),
    ("024082", 16_400),
    ("024112", 10_100),
    ("024121", 24_200),
    ("024236", 4_700),
    ("024244", 5_900),
    ("024252", 1_700),
    ("024261", 1_800),
    ("024414", 9_100),
    ("024422", 16_200),
    ("024431", 5_000),
    ("024457", 17_100),
    ("024465", 13_800),
    ("024503", 2_200),
];

fn municipalities() -> Vec<(MunicipalityCode, u32)> {
    POPULATION
        .iter()
        .filter_map(|(code, population)| MunicipalityCode::parse(code).ok().map(|code| (code, *population)))
        .collect()
}

/// Picks an index with probability proportional to its weight.
fn weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut pick = rng.random_range(0..total.max(1));
    for (index, weight) in weights.iter().enumerate() {
        if pick < *weight {
            return index;
        }
        pick -= weight;
    }
    weights.len().saturating_sub(1)
}

/// The synthetic households of one seed, relative to a reference date.
#[derive(Debug, Clone)]
pub struct Population {
    seed: u64,
    today: NaiveDate,
    municipalities: Vec<(MunicipalityCode, u32)>,
    weights: Vec<u32>,
}

impl Population {
    pub fn new(seed: u64, today: NaiveDate) -> Self {
        let municipalities = municipalities();
        let weights = municipalities.iter().map(|(_, population)| *population).collect();
        Self {
            seed,
            today,
            municipalities,
            weights,
        }
    }

    /// Household number `index`; the same for the same seed, date and index.
    pub fn household(&self, index: u64) -> Household {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index);
        let municipality = self.municipalities[weighted(&mut rng, &self.weights)].0;
        let mut children = self.born_children(&mut rng);
        if children.is_empty() || rng.random_bool(0.06) {
            let due = self.today + Days::new(rng.random_range(1..=280));
            children.push(Child::expected(due));
        }
        let single_parent = rng.random_bool(0.6).then(|| rng.random_bool(0.12));
        let income_band = rng
            .random_bool(0.45)
            .then(|| IncomeBand::VARIANTS[weighted(&mut rng, &[8, 20, 35, 25, 12])]);
        Household {
            municipality,
            children,
            single_parent,
            income_band,
        }
    }

    pub fn households(&self, count: u64) -> impl Iterator<Item = Household> + '_ {
        (0..count).map(|index| self.household(index))
    }

    fn born_children(&self, rng: &mut ChaCha8Rng) -> Vec<Child> {
        let first_time_parents = rng.random_bool(0.04);
        if first_time_parents {
            return Vec::new();
        }
        let count = [1, 2, 3, 4][weighted(rng, &[44, 40, 13, 3])];
        let mut birth = self.today - Days::new(rng.random_range(0..18 * 365 + 300));
        let mut children = Vec::with_capacity(count);
        for position in 0..count {
            if position > 0 {
                let twins = rng.random_bool(0.015);
                let gap = if twins { 0 } else { rng.random_range(365..=6 * 365) };
                birth = birth + Days::new(gap);
                if birth > self.today {
                    break;
                }
            }
            children.push(self.child(rng, birth));
        }
        children
    }

    fn child(&self, rng: &mut ChaCha8Rng, birth: NaiveDate) -> Child {
        let mut child = Child::born(birth);
        child.disability_certificate = rng.random_bool(0.5).then(|| rng.random_bool(0.03));
        let age_days = (self.today - birth).num_days();
        if age_days < 6 * 365 && rng.random_bool(0.7) {
            let weights: &[u32] = if age_days < 365 {
                &[20, 0, 80]
            } else {
                &[60, 15, 25]
            };
            child.childcare = Some(Childcare::VARIANTS[weighted(rng, weights)]);
        }
        child
    }
}

/// One synthetic program: who runs it, what it is called and its rule document.
#[derive(Debug, Clone)]
pub struct SyntheticProgram {
    pub owner: Option<MunicipalityCode>,
    pub name: String,
    pub category: &'static str,
    pub eligibility: Value,
    pub application_window: Value,
}

impl SyntheticProgram {
    pub fn to_input(&self) -> ProgramInput {
        let owner = self
            .owner
            .map_or_else(|| "national".to_owned(), |code| code.as_str().to_owned());
        let input = json!({
            "owner": owner,
            "name": self.name,
            "categories": [self.category],
            "summary": format!("合成データの制度（{}）", self.name),
            "eligibility": self.eligibility,
            "application_window": self.application_window,
        });
        serde_json::from_value(input).unwrap_or_else(|error| panic!("synthetic program is invalid: {error}"))
    }

    pub fn to_rule(&self) -> ProgramRule {
        let document = EligibilityDocument::parse(&self.eligibility)
            .unwrap_or_else(|errors| panic!("synthetic rule is invalid: {errors}"));
        let rule = document
            .into_rule()
            .unwrap_or_else(|| panic!("synthetic rule is empty"));
        let application = match self.application_window["kind"].as_str() {
            Some("relative") => Application::AfterBirth {
                within_days: self.application_window["within_days"].as_u64().unwrap_or(14) as u32,
            },
            Some("fixed") => Application::Between {
                opens: parse_date(&self.application_window["from"]),
                closes: parse_date(&self.application_window["to"]),
            },
            _ => Application::Always,
        };
        ProgramRule {
            area: Area::of_owner(self.owner),
            rule,
            application,
        }
    }
}

fn parse_date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .unwrap_or_default()
}

/// Rule templates with their relative frequency among real programs.
const TEMPLATES: &[(u32, &str, &str)] = &[
    (6, "medical", "子ども医療費"),
    (10, "health_checkup", "健診"),
    (4, "infant", "乳児訪問"),
    (5, "childcare_education", "保育"),
    (2, "childcare_education", "在宅育児支援"),
    (5, "pregnancy_birth", "妊婦支援"),
    (3, "pregnancy_birth", "出産祝い"),
    (2, "allowance", "第3子以降応援"),
    (4, "single_parent", "ひとり親支援"),
    (3, "disability", "障害児支援"),
    (3, "childcare_education", "小学生支援"),
    (2, "childcare_education", "中学生支援"),
    (2, "childcare_education", "高校生年代支援"),
    (1, "allowance", "多胎児支援"),
    (2, "allowance", "多子世帯支援"),
    (2, "childcare_education", "入学準備"),
];

fn template_rule(template: usize, rng: &mut ChaCha8Rng) -> Value {
    let rule = match template {
        0 => json!({"some_child": {"until_march_31_after_age": 18}}),
        1 => {
            let start = [1, 3, 4, 6, 9, 12, 18, 24, 36, 42][rng.random_range(0..10)];
            json!({"some_child": {"age": {"unit": "months", "gte": start, "lt": start + rng.random_range(1..=6)}}})
        }
        2 => json!({"some_child": {"age": {"unit": "days", "lt": rng.random_range(28..=120)}}}),
        3 => json!({"some_child": {"all": [{"school_stage": "preschool"}, {"childcare": ["nursery"]}]}}),
        4 => json!({"some_child": {"all": [
            {"age": {"unit": "months", "gte": 6}}, {"age": {"unit": "years", "lt": 3}}, {"childcare": ["home"]}]}}),
        5 => {
            json!({"some_child": {"all": [{"unborn": true}, {"pregnancy_weeks": {"gte": rng.random_range(0..=20)}}]}})
        }
        6 => json!({"some_child": {"born_within_days": rng.random_range(30..=365)}}),
        7 => {
            json!({"some_child": {"all": [{"birth_order": {"gte": 3}}, {"age": {"unit": "years", "lt": 3}}]}})
        }
        8 => {
            let band = ["nontaxable", "up_to_360", "up_to_640"][rng.random_range(0..3)];
            json!({"all": [{"single_parent": true}, {"some_child": {"until_march_31_after_age": 18}},
                {"income_band": {"lte": band}}]})
        }
        9 => {
            json!({"some_child": {"all": [{"disability_certificate": true}, {"age": {"unit": "years", "lt": 20}}]}})
        }
        10 => json!({"some_child": {"school_stage": "elementary"}}),
        11 => json!({"some_child": {"school_stage": "junior_high"}}),
        12 => {
            json!({"all": [{"some_child": {"school_stage": "high_school"}}, {"income_band": {"lte": "up_to_910"}}]})
        }
        13 => json!({"some_child": {"all": [{"multiple_birth": true}, {"school_stage": "preschool"}]}}),
        14 => json!({"count_children": {"where": {"until_march_31_after_age": 18}, "gte": 3}}),
        _ => json!({"some_child": {"school_grade": {"gte": "年長", "lte": "年長"}}}),
    };
    json!({"version": 1, "rule": rule})
}

fn application_window(template: usize, rng: &mut ChaCha8Rng, today: NaiveDate) -> Value {
    match template {
        6 => {
            let within_days = [14, 30, 60][rng.random_range(0..3)];
            json!({"kind": "relative", "event": "birth", "within_days": within_days})
        }
        15 | 10 if rng.random_bool(0.5) => {
            let opens = today + Days::new(rng.random_range(0..=200));
            let closes = opens + Days::new(rng.random_range(14..=60));
            json!({"kind": "fixed", "from": opens.to_string(), "to": closes.to_string()})
        }
        _ => json!({"kind": "always"}),
    }
}

/// A synthetic catalogue of `count` programs for Aomori: about 2.5 % national, 3.5 % the
/// prefecture's, and the rest spread over the municipalities by the square root of their
/// population (small towns run fewer programs, but not proportionally fewer).
pub fn programs(seed: u64, count: usize, today: NaiveDate) -> Vec<SyntheticProgram> {
    let municipalities = municipalities();
    let national = count * 25 / 1000;
    let prefecture = count * 35 / 1000;
    let prefecture_code = MunicipalityCode::parse("020001").ok();
    let mut owners: Vec<Option<MunicipalityCode>> = vec![None; national];
    owners.extend(std::iter::repeat_n(prefecture_code, prefecture));
    let weights: Vec<f64> = municipalities
        .iter()
        .map(|(_, population)| f64::from(*population).sqrt())
        .collect();
    let total: f64 = weights.iter().sum();
    let local = count - national - prefecture;
    for ((code, _), weight) in municipalities.iter().zip(&weights) {
        let share = (local as f64 * weight / total).round() as usize;
        owners.extend(std::iter::repeat_n(Some(*code), share));
    }
    owners.resize(count, municipalities.first().map(|(code, _)| *code));
    generate(seed, &owners, today)
}

/// `count` national programs, for engine-only benchmarks where every program applies.
pub fn national_programs(seed: u64, count: usize, today: NaiveDate) -> Vec<SyntheticProgram> {
    generate(seed, &vec![None; count], today)
}

/// Synthetic programs as the records of an import that publishes them, for
/// [`Registry::import`](kosodate_registry::Registry::import).
pub fn published_records(programs: impl IntoIterator<Item = SyntheticProgram>) -> Vec<ImportRecord> {
    programs
        .into_iter()
        .enumerate()
        .map(|(index, program)| ImportRecord {
            line: index + 1,
            id: None,
            status: Some(ProgramStatus::Published),
            input: program.to_input(),
        })
        .collect()
}

fn generate(seed: u64, owners: &[Option<MunicipalityCode>], today: NaiveDate) -> Vec<SyntheticProgram> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_9a7a_1061);
    let weights: Vec<u32> = TEMPLATES.iter().map(|(weight, _, _)| *weight).collect();
    owners
        .iter()
        .enumerate()
        .map(|(index, owner)| {
            let template = weighted(&mut rng, &weights);
            let (_, category, name) = TEMPLATES[template];
            SyntheticProgram {
                owner: *owner,
                name: format!("{name} {index:05}"),
                category,
                eligibility: template_rule(template, &mut rng),
                application_window: application_window(template, &mut rng, today),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default()
    }

    #[test]
    fn the_same_seed_gives_the_same_households() {
        let first = Population::new(7, today());
        let second = Population::new(7, today());
        for index in [0, 1, 999, 123_456] {
            assert_eq!(first.household(index), second.household(index));
        }
        assert_ne!(first.household(1), Population::new(8, today()).household(1));
    }

    #[test]
    fn households_look_like_aomori() {
        let population = Population::new(1, today());
        let households: Vec<_> = population.households(20_000).collect();
        let in_aomori_city = households
            .iter()
            .filter(|h| h.municipality.as_str() == "022012")
            .count();
        // 青森市 holds about 22 % of the prefecture's population.
        assert!((3_600..5_200).contains(&in_aomori_city), "{in_aomori_city}");
        let children: usize = households.iter().map(|h| h.children.len()).sum();
        let average = children as f64 / households.len() as f64;
        assert!((1.5..2.1).contains(&average), "{average}");
        for household in &households {
            assert!(!household.children.is_empty());
            for child in &household.children {
                assert!(child.birth.date() <= today() + Days::new(280));
                assert!(child.birth.date() >= today() - Days::new(19 * 366));
            }
        }
    }

    #[test]
    fn every_synthetic_program_is_valid() {
        let programs = programs(3, 2_500, today());
        assert_eq!(programs.len(), 2_500);
        assert_eq!(programs.iter().filter(|p| p.owner.is_none()).count(), 62);
        for program in &programs {
            program.to_rule();
            program.to_input();
        }
        let names: std::collections::HashSet<_> = programs.iter().map(|p| (&p.owner, &p.name)).collect();
        assert_eq!(names.len(), programs.len());
    }
}
