//! The rule language: its syntax tree, parsed from and written back to JSON. Every node is an
//! object with exactly one member naming the combinator or predicate, so a rule reads as a
//! sentence: `{"some_child": {"age": {"unit": "years", "lt": 3}}}`. See docs/rules.md.

use kosodate_domain::MunicipalityCode;
use kosodate_domain::Vocabulary;
use serde_json::{Map, Value, json};
use strum::VariantArray;

use crate::errors::{RuleError, pointer_segment};
use crate::household::{Childcare, IncomeBand};

/// A condition on the household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    SomeChild(ChildRule),
    EveryChild(ChildRule),
    CountChildren { filter: Option<ChildRule>, range: Range },
    Municipality(Vec<MunicipalityCode>),
    SingleParent(bool),
    IncomeBand(Range),
}

/// A condition on one child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildRule {
    All(Vec<ChildRule>),
    Any(Vec<ChildRule>),
    Not(Box<ChildRule>),
    Age { unit: AgeUnit, range: Range },
    SchoolGrade(Range),
    SchoolStage(SchoolStage),
    UntilMarch31AfterAge(u32),
    Unborn(bool),
    PregnancyWeeks(Range),
    BornWithinDays(u32),
    BirthOrder(Range),
    MultipleBirth(bool),
    DisabilityCertificate(bool),
    Childcare(Vec<Childcare>),
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray, strum::EnumMessage,
)]
#[strum(serialize_all = "snake_case")]
pub enum AgeUnit {
    Years,
    Months,
    Days,
}

/// 未就学 / 小学生 / 中学生 / 高校生年代, each a span of school grades.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray, strum::EnumMessage,
)]
#[strum(serialize_all = "snake_case")]
pub enum SchoolStage {
    #[strum(message = "未就学")]
    Preschool,
    #[strum(message = "小学生")]
    Elementary,
    #[strum(message = "中学生")]
    JuniorHigh,
    #[strum(message = "高校生年代")]
    HighSchool,
}

impl SchoolStage {
    /// The grades of the stage (inclusive); preschool is every grade before 小1.
    pub fn grades(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Preschool => (None, Some(0)),
            Self::Elementary => (Some(1), Some(6)),
            Self::JuniorHigh => (Some(7), Some(9)),
            Self::HighSchool => (Some(10), Some(12)),
        }
    }
}

/// Grade names accepted in `school_grade` bounds, with their grade numbers (小1 = 1, 年長 = 0).
const GRADE_NAMES: &[(&str, i64)] = &[
    ("0歳児クラス", -5),
    ("1歳児クラス", -4),
    ("2歳児クラス", -3),
    ("3歳児クラス", -2),
    ("4歳児クラス", -1),
    ("5歳児クラス", 0),
    ("年少", -2),
    ("年中", -1),
    ("年長", 0),
    ("小1", 1),
    ("小2", 2),
    ("小3", 3),
    ("小4", 4),
    ("小5", 5),
    ("小6", 6),
    ("中1", 7),
    ("中2", 8),
    ("中3", 9),
    ("高1", 10),
    ("高2", 11),
    ("高3", 12),
];

/// The grade number of a grade name (`"小1"` = 1, `"年長"` = 0), for forms that read grades.
pub fn grade_number(name: &str) -> Option<i64> {
    GRADE_NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, grade)| *grade)
}

pub fn grade_name(grade: i64) -> String {
    match grade {
        -2 => "年少".to_owned(),
        -1 => "年中".to_owned(),
        0 => "年長".to_owned(),
        -5..=-3 => format!("{}歳児クラス", grade + 5),
        _ => GRADE_NAMES
            .iter()
            .find(|(_, number)| *number == grade)
            .map_or_else(|| grade.to_string(), |(name, _)| (*name).to_owned()),
    }
}

/// One end of a range, as written: `gte`/`lte` include the value, `gt`/`lt` exclude it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub value: i64,
    pub inclusive: bool,
}

/// An integer range with explicit inclusive or exclusive ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Range {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

impl Range {
    pub fn at_least(value: i64) -> Self {
        Self {
            lower: Some(Bound {
                value,
                inclusive: true,
            }),
            upper: None,
        }
    }

    pub fn below(value: i64) -> Self {
        Self {
            lower: None,
            upper: Some(Bound {
                value,
                inclusive: false,
            }),
        }
    }

    /// The smallest value in the range, if bounded below.
    pub fn min(&self) -> Option<i64> {
        self.lower.map(|bound| {
            if bound.inclusive {
                bound.value
            } else {
                bound.value.saturating_add(1)
            }
        })
    }

    /// The largest value in the range, if bounded above.
    pub fn max(&self) -> Option<i64> {
        self.upper.map(|bound| {
            if bound.inclusive {
                bound.value
            } else {
                bound.value.saturating_sub(1)
            }
        })
    }

    pub fn contains(&self, value: i64) -> bool {
        self.min().is_none_or(|min| value >= min) && self.max().is_none_or(|max| value <= max)
    }

    fn is_empty(&self) -> bool {
        matches!((self.min(), self.max()), (Some(min), Some(max)) if min > max)
    }

    fn to_json(self, encode: impl Fn(i64) -> Value) -> Map<String, Value> {
        let mut object = Map::new();
        if let Some(bound) = self.lower {
            object.insert(
                (if bound.inclusive { "gte" } else { "gt" }).into(),
                encode(bound.value),
            );
        }
        if let Some(bound) = self.upper {
            object.insert(
                (if bound.inclusive { "lte" } else { "lt" }).into(),
                encode(bound.value),
            );
        }
        object
    }
}

const HOUSEHOLD_KEYS: &[&str] = &[
    "all",
    "any",
    "not",
    "some_child",
    "every_child",
    "count_children",
    "municipality",
    "single_parent",
    "income_band",
];

const CHILD_KEYS: &[&str] = &[
    "all",
    "any",
    "not",
    "age",
    "school_grade",
    "school_stage",
    "until_march_31_after_age",
    "unborn",
    "pregnancy_weeks",
    "born_within_days",
    "birth_order",
    "multiple_birth",
    "disability_certificate",
    "childcare",
];

/// Collects errors while walking a rule; `None` results mean "already reported".
pub(crate) struct Parser<'e> {
    pub errors: &'e mut Vec<RuleError>,
}

impl Parser<'_> {
    fn fail<T>(
        &mut self,
        pointer: &str,
        message_en: impl Into<String>,
        message_ja: impl Into<String>,
    ) -> Option<T> {
        self.errors.push(RuleError {
            pointer: pointer.to_owned(),
            message_en: message_en.into(),
            message_ja: message_ja.into(),
        });
        None
    }

    /// Splits a node into its single `(key, value)` member, reporting anything else.
    fn single_member<'v>(
        &mut self,
        value: &'v Value,
        pointer: &str,
        allowed: &[&str],
    ) -> Option<(&'v str, &'v Value, String)> {
        let Some(object) = value.as_object() else {
            return self.fail(
                pointer,
                "a condition must be a JSON object with one member",
                "条件は項目を1つだけ持つJSONオブジェクトで指定してください",
            );
        };
        if object.len() != 1 {
            let keys: Vec<_> = object.keys().map(String::as_str).collect();
            return self.fail(
                pointer,
                format!("a condition must have exactly one member, found {keys:?}; combine conditions with all or any"),
                format!("1つの条件には項目を1つだけ書いてください（{}）。複数の条件は all または any でまとめます", keys.join("、")),
            );
        }
        let (key, inner) = object.iter().next()?;
        let inner_pointer = format!("{pointer}/{}", pointer_segment(key));
        if !allowed.contains(&key.as_str()) {
            let elsewhere = if allowed == HOUSEHOLD_KEYS {
                CHILD_KEYS
            } else {
                HOUSEHOLD_KEYS
            };
            return if elsewhere.contains(&key.as_str()) {
                let (en, ja) = if allowed == HOUSEHOLD_KEYS {
                    (
                        "a child condition; put it inside some_child, every_child or count_children",
                        "子どもの条件です。some_child・every_child・count_children の中に書いてください",
                    )
                } else {
                    (
                        "a household condition; it cannot be used inside a child condition",
                        "世帯の条件です。子どもの条件の中には書けません",
                    )
                };
                self.fail(
                    &inner_pointer,
                    format!("{key:?} is {en}"),
                    format!("「{key}」は{ja}"),
                )
            } else {
                self.fail(
                    &inner_pointer,
                    format!(
                        "unknown condition {key:?}; expected one of {}",
                        allowed.join(", ")
                    ),
                    format!("不明な条件「{key}」です（使える条件: {}）", allowed.join("、")),
                )
            };
        }
        Some((key.as_str(), inner, inner_pointer))
    }

    pub fn rule(&mut self, value: &Value, pointer: &str) -> Option<Rule> {
        let (key, inner, pointer) = self.single_member(value, pointer, HOUSEHOLD_KEYS)?;
        match key {
            "all" => self.list(inner, &pointer, Self::rule).map(Rule::All),
            "any" => self.list(inner, &pointer, Self::rule).map(Rule::Any),
            "not" => self.rule(inner, &pointer).map(|rule| Rule::Not(Box::new(rule))),
            "some_child" => self.child_rule(inner, &pointer).map(Rule::SomeChild),
            "every_child" => self.child_rule(inner, &pointer).map(Rule::EveryChild),
            "count_children" => self.count_children(inner, &pointer),
            "municipality" => self.municipalities(inner, &pointer).map(Rule::Municipality),
            "single_parent" => self.boolean(inner, &pointer).map(Rule::SingleParent),
            _ => self
                .range(inner, &pointer, &income_band_value)
                .map(Rule::IncomeBand),
        }
    }

    pub fn child_rule(&mut self, value: &Value, pointer: &str) -> Option<ChildRule> {
        let (key, inner, pointer) = self.single_member(value, pointer, CHILD_KEYS)?;
        let pointer = pointer.as_str();
        match key {
            "all" => self.list(inner, pointer, Self::child_rule).map(ChildRule::All),
            "any" => self.list(inner, pointer, Self::child_rule).map(ChildRule::Any),
            "not" => self
                .child_rule(inner, pointer)
                .map(|rule| ChildRule::Not(Box::new(rule))),
            "age" => self.age(inner, pointer),
            "school_grade" => self
                .range(inner, pointer, &grade_value)
                .map(ChildRule::SchoolGrade),
            "school_stage" => self.school_stage(inner, pointer),
            "until_march_31_after_age" => self
                .count(inner, pointer, 1, 30)
                .map(ChildRule::UntilMarch31AfterAge),
            "unborn" => self.boolean(inner, pointer).map(ChildRule::Unborn),
            "pregnancy_weeks" => self.bounded(inner, pointer, 0, 45).map(ChildRule::PregnancyWeeks),
            "born_within_days" => self.count(inner, pointer, 0, 3660).map(ChildRule::BornWithinDays),
            "birth_order" => self.bounded(inner, pointer, 1, 20).map(ChildRule::BirthOrder),
            "multiple_birth" => self.boolean(inner, pointer).map(ChildRule::MultipleBirth),
            "disability_certificate" => self.boolean(inner, pointer).map(ChildRule::DisabilityCertificate),
            _ => self.childcare(inner, pointer),
        }
    }

    fn list<T>(
        &mut self,
        value: &Value,
        pointer: &str,
        mut element: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Some(items) = value.as_array() else {
            return self.fail(
                pointer,
                "expected a list of conditions",
                "条件のリスト（配列）を指定してください",
            );
        };
        if items.is_empty() {
            return self.fail(pointer, "the list of conditions is empty", "条件のリストが空です");
        }
        let parsed: Vec<_> = items
            .iter()
            .enumerate()
            .map(|(index, item)| element(self, item, &format!("{pointer}/{index}")))
            .collect();
        parsed.into_iter().collect()
    }

    fn boolean(&mut self, value: &Value, pointer: &str) -> Option<bool> {
        match value.as_bool() {
            Some(flag) => Some(flag),
            None => self.fail(
                pointer,
                "expected true or false",
                "true または false を指定してください",
            ),
        }
    }

    fn count(&mut self, value: &Value, pointer: &str, min: u32, max: u32) -> Option<u32> {
        match value.as_u64() {
            Some(number) if (u64::from(min)..=u64::from(max)).contains(&number) => Some(number as u32),
            _ => self.fail(
                pointer,
                format!("expected a whole number from {min} to {max}"),
                format!("{min}から{max}までの整数を指定してください"),
            ),
        }
    }

    fn count_children(&mut self, value: &Value, pointer: &str) -> Option<Rule> {
        let Some(object) = value.as_object() else {
            return self.fail(
                pointer,
                "expected an object with where and bounds",
                "where と範囲を持つオブジェクトを指定してください",
            );
        };
        let filter = match object.get("where") {
            Some(filter) => Some(self.child_rule(filter, &format!("{pointer}/where"))?),
            None => None,
        };
        let mut bounds = object.clone();
        bounds.remove("where");
        let range = self.bounded(&Value::Object(bounds), pointer, 0, 20)?;
        Some(Rule::CountChildren { filter, range })
    }

    fn municipalities(&mut self, value: &Value, pointer: &str) -> Option<Vec<MunicipalityCode>> {
        self.list(value, pointer, |parser, item, pointer| {
            let text = item
                .as_str()
                .map(str::to_owned)
                .or_else(|| item.as_u64().map(|n| n.to_string()));
            let Some(text) = text else {
                return parser.fail(
                    pointer,
                    "expected a municipality code",
                    "市町村コードを文字列で指定してください",
                );
            };
            match MunicipalityCode::parse(&text) {
                Ok(code) => Some(code),
                Err(error) => parser.fail(pointer, error.to_string(), error.message_ja()),
            }
        })
    }

    fn school_stage(&mut self, value: &Value, pointer: &str) -> Option<ChildRule> {
        match value.as_str().and_then(SchoolStage::parse) {
            Some(stage) => Some(ChildRule::SchoolStage(stage)),
            None => self.fail(
                pointer,
                "expected preschool, elementary, junior_high or high_school",
                "未就学（preschool）・小学生（elementary）・中学生（junior_high）・高校生年代（high_school）のいずれかを指定してください",
            ),
        }
    }

    fn childcare(&mut self, value: &Value, pointer: &str) -> Option<ChildRule> {
        let kinds = self.list(value, pointer, |parser, item, pointer| {
            match item.as_str().and_then(Childcare::parse) {
                Some(kind) => Some(kind),
                None => parser.fail(
                    pointer,
                    "expected nursery, kindergarten or home",
                    "nursery（保育所等）・kindergarten（幼稚園）・home（在宅）のいずれかを指定してください",
                ),
            }
        })?;
        Some(ChildRule::Childcare(kinds))
    }

    fn age(&mut self, value: &Value, pointer: &str) -> Option<ChildRule> {
        let Some(object) = value.as_object() else {
            return self.fail(
                pointer,
                "expected an object with unit and bounds",
                "unit と範囲を持つオブジェクトを指定してください",
            );
        };
        let unit = match object
            .get("unit")
            .and_then(Value::as_str)
            .and_then(AgeUnit::parse)
        {
            Some(unit) => Some(unit),
            None => self.fail(
                &format!("{pointer}/unit"),
                "unit must be years, months or days",
                "unit には years（歳）・months（か月）・days（日）のいずれかを指定してください",
            ),
        };
        let mut bounds = object.clone();
        bounds.remove("unit");
        let range = self.bounded(&Value::Object(bounds), pointer, 0, 36_600);
        Some(ChildRule::Age {
            unit: unit?,
            range: range?,
        })
    }

    fn bounded(&mut self, value: &Value, pointer: &str, min: i64, max: i64) -> Option<Range> {
        let within = |number: i64| (min..=max).contains(&number);
        self.range(value, pointer, &|value: &Value| {
            value.as_i64().filter(|number| within(*number)).ok_or_else(|| {
                (
                    format!("expected a whole number from {min} to {max}"),
                    format!("{min}から{max}までの整数を指定してください"),
                )
            })
        })
    }

    /// Parses `{gte|gt: a, lte|lt: b}`, at least one end, and rejects empty ranges.
    fn range(&mut self, value: &Value, pointer: &str, decode: &BoundDecoder<'_>) -> Option<Range> {
        let Some(object) = value.as_object() else {
            return self.fail(
                pointer,
                "expected bounds such as {\"gte\": 1, \"lt\": 3}",
                "範囲を {\"gte\": 1, \"lt\": 3} のように指定してください",
            );
        };
        let mut range = Range::default();
        let mut valid = true;
        for (key, bound_value) in object {
            let bound_pointer = format!("{pointer}/{}", pointer_segment(key));
            let (slot, inclusive) = match key.as_str() {
                "gte" => (&mut range.lower, true),
                "gt" => (&mut range.lower, false),
                "lte" => (&mut range.upper, true),
                "lt" => (&mut range.upper, false),
                _ => {
                    valid = false;
                    self.fail::<()>(
                        &bound_pointer,
                        format!("unknown bound {key:?}; expected gte, gt, lte or lt"),
                        format!("不明な範囲指定「{key}」です（gte 以上・gt より大きい・lte 以下・lt 未満）"),
                    );
                    continue;
                }
            };
            if slot.is_some() {
                valid = false;
                self.fail::<()>(
                    &bound_pointer,
                    "the same end of the range is given twice",
                    "範囲の同じ側が2回指定されています",
                );
                continue;
            }
            match decode(bound_value) {
                Ok(value) => *slot = Some(Bound { value, inclusive }),
                Err((en, ja)) => {
                    valid = false;
                    self.fail::<()>(&bound_pointer, en, ja);
                }
            }
        }
        if !valid {
            return None;
        }
        if range.lower.is_none() && range.upper.is_none() {
            return self.fail(
                pointer,
                "the range needs gte, gt, lte or lt",
                "範囲（gte・gt・lte・lt）を1つ以上指定してください",
            );
        }
        if range.is_empty() {
            return self.fail(
                pointer,
                "the range is empty: its lower end is above its upper end",
                "範囲が空です（下限が上限を上回っています）",
            );
        }
        Some(range)
    }
}

/// Turns a bound's JSON value into its number, or an (English, Japanese) message.
type BoundDecoder<'a> = dyn Fn(&Value) -> Result<i64, (String, String)> + 'a;

fn income_band_value(value: &Value) -> Result<i64, (String, String)> {
    value
        .as_str()
        .and_then(IncomeBand::parse)
        .map(IncomeBand::rank)
        .ok_or_else(|| {
            let ids: Vec<_> = IncomeBand::VARIANTS.iter().map(|band| band.id()).collect();
            (
                format!("expected an income band: {}", ids.join(", ")),
                format!("所得の目安は {} のいずれかで指定してください", ids.join("・")),
            )
        })
}

fn grade_value(value: &Value) -> Result<i64, (String, String)> {
    value
        .as_str()
        .and_then(grade_number)
        .ok_or_else(|| {
            (
                "expected a grade such as 年長, 小1 … 小6, 中1 … 中3, 高1 … 高3 or 0歳児クラス … 5歳児クラス".to_owned(),
                "学年は 年少・年中・年長・小1〜小6・中1〜中3・高1〜高3・0歳児クラス〜5歳児クラス のように指定してください".to_owned(),
            )
        })
}

impl Rule {
    /// The rule in canonical JSON, as stored.
    pub fn to_json(&self) -> Value {
        match self {
            Rule::All(rules) => json!({"all": rules.iter().map(Rule::to_json).collect::<Vec<_>>()}),
            Rule::Any(rules) => json!({"any": rules.iter().map(Rule::to_json).collect::<Vec<_>>()}),
            Rule::Not(rule) => json!({"not": rule.to_json()}),
            Rule::SomeChild(rule) => json!({"some_child": rule.to_json()}),
            Rule::EveryChild(rule) => json!({"every_child": rule.to_json()}),
            Rule::CountChildren { filter, range } => {
                let mut object = range.to_json(Value::from);
                if let Some(filter) = filter {
                    object.insert("where".into(), filter.to_json());
                }
                json!({"count_children": object})
            }
            Rule::Municipality(codes) => {
                json!({"municipality": codes.iter().map(|c| c.as_str()).collect::<Vec<_>>()})
            }
            Rule::SingleParent(flag) => json!({"single_parent": flag}),
            Rule::IncomeBand(range) => json!({"income_band": range.to_json(|rank| {
                Value::from(IncomeBand::VARIANTS.get(rank as usize).map_or("", |band| band.id()))
            })}),
        }
    }
}

impl ChildRule {
    pub fn to_json(&self) -> Value {
        match self {
            ChildRule::All(rules) => json!({"all": rules.iter().map(ChildRule::to_json).collect::<Vec<_>>()}),
            ChildRule::Any(rules) => json!({"any": rules.iter().map(ChildRule::to_json).collect::<Vec<_>>()}),
            ChildRule::Not(rule) => json!({"not": rule.to_json()}),
            ChildRule::Age { unit, range } => {
                let mut object = Map::new();
                object.insert("unit".into(), Value::from(unit.id()));
                object.extend(range.to_json(Value::from));
                json!({"age": object})
            }
            ChildRule::SchoolGrade(range) => {
                json!({"school_grade": range.to_json(|grade| Value::from(grade_name(grade)))})
            }
            ChildRule::SchoolStage(stage) => json!({"school_stage": stage.id()}),
            ChildRule::UntilMarch31AfterAge(age) => json!({"until_march_31_after_age": age}),
            ChildRule::Unborn(flag) => json!({"unborn": flag}),
            ChildRule::PregnancyWeeks(range) => json!({"pregnancy_weeks": range.to_json(Value::from)}),
            ChildRule::BornWithinDays(days) => json!({"born_within_days": days}),
            ChildRule::BirthOrder(range) => json!({"birth_order": range.to_json(Value::from)}),
            ChildRule::MultipleBirth(flag) => json!({"multiple_birth": flag}),
            ChildRule::DisabilityCertificate(flag) => json!({"disability_certificate": flag}),
            ChildRule::Childcare(kinds) => {
                json!({"childcare": kinds.iter().map(|k| k.id()).collect::<Vec<_>>()})
            }
        }
    }
}
