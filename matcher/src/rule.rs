//! The rule language: its syntax tree, parsed from and written back to JSON. Every node is an
//! object with exactly one member naming the combinator or predicate, so a rule reads as a
//! sentence: `{"some_child": {"age": {"unit": "years", "lt": 3}}}`. See docs/rules.md.

use chrono::NaiveDate;
use kosodate_domain::Vocabulary;
use kosodate_domain::japan::format_date;
use kosodate_domain::{CalendarDate, MunicipalityCode};
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
    CountChildren {
        filter: Option<ChildRule>,
        range: Range,
    },
    Municipality(Vec<MunicipalityCode>),
    SingleParent(bool),
    IncomeBand(Range),
    /// A rule that changes on dates, as a law is amended: each period's rule holds on its days.
    /// Periods are in order and follow each other without a gap or an overlap; before the first
    /// and after the last, nobody is eligible.
    ByPeriod(Vec<Period>),
}

/// One period of a [`Rule::ByPeriod`]: its first and last day (both included; open when absent)
/// and its rule, `None` for a period in which nobody is eligible (a program suspended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub rule: Option<Rule>,
}

impl Period {
    pub fn contains(&self, on: NaiveDate) -> bool {
        self.from.is_none_or(|from| from <= on) && self.until.is_none_or(|until| on <= until)
    }

    /// The first day after the period, `None` when it never ends.
    pub fn end(&self) -> Option<NaiveDate> {
        self.until.and_then(|until| until.succ_opt())
    }
}

/// A condition on one child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildRule {
    All(Vec<ChildRule>),
    Any(Vec<ChildRule>),
    Not(Box<ChildRule>),
    Age {
        unit: AgeUnit,
        range: Range,
    },
    SchoolGrade(Range),
    SchoolStage(SchoolStage),
    UntilMarch31AfterAge(u32),
    /// Until the last day of the month in which the child reaches N (満N歳に達する日の属する月の末日).
    UntilEndOfMonthOfAge(u32),
    /// From the first day of the month after the one in which the child reaches N.
    FromMonthAfterAge(u32),
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
    #[strum(to_string = "years", serialize = "才", message = "歳")]
    Years,
    #[strum(
        to_string = "months",
        serialize = "ヶ月",
        serialize = "カ月",
        serialize = "ヵ月",
        message = "か月"
    )]
    Months,
    #[strum(message = "日")]
    Days,
}

/// 未就学 / 小学生 / 中学生 / 高校生年代, each a span of school grades.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray, strum::EnumMessage,
)]
#[strum(serialize_all = "snake_case")]
pub enum SchoolStage {
    #[strum(
        to_string = "preschool",
        serialize = "就学前",
        serialize = "未就学児",
        message = "未就学"
    )]
    Preschool,
    #[strum(to_string = "elementary", serialize = "小学校", message = "小学生")]
    Elementary,
    #[strum(to_string = "junior_high", serialize = "中学校", message = "中学生")]
    JuniorHigh,
    #[strum(
        to_string = "high_school",
        serialize = "高校生",
        serialize = "高校",
        message = "高校生年代"
    )]
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

/// The grade number of a grade name (`"小1"` = 1, `"年長"` = 0, `"小学1年生"` = 1), for the rule
/// language and for forms that read grades.
pub fn grade_number(name: &str) -> Option<i64> {
    GRADE_NAMES
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, grade)| *grade)
        .or_else(|| school_year_in_words(name))
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
    "by_period",
];

const CHILD_KEYS: &[&str] = &[
    "all",
    "any",
    "not",
    "age",
    "school_grade",
    "school_stage",
    "until_march_31_after_age",
    "until_end_of_month_of_age",
    "from_month_after_age",
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
            "by_period" => self.periods(inner, &pointer).map(Rule::ByPeriod),
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
            "until_end_of_month_of_age" => self
                .count(inner, pointer, 1, 30)
                .map(ChildRule::UntilEndOfMonthOfAge),
            "from_month_after_age" => self
                .count(inner, pointer, 1, 30)
                .map(ChildRule::FromMonthAfterAge),
            "unborn" => self.boolean(inner, pointer).map(ChildRule::Unborn),
            "pregnancy_weeks" => self.bounded(inner, pointer, 0, 45).map(ChildRule::PregnancyWeeks),
            "born_within_days" => self.count(inner, pointer, 0, 3660).map(ChildRule::BornWithinDays),
            "birth_order" => self.bounded(inner, pointer, 1, 20).map(ChildRule::BirthOrder),
            "multiple_birth" => self.boolean(inner, pointer).map(ChildRule::MultipleBirth),
            "disability_certificate" => self.boolean(inner, pointer).map(ChildRule::DisabilityCertificate),
            _ => self.childcare(inner, pointer),
        }
    }

    /// `[{"until": …, "rule": …}, {"from": …, "rule": …}]`: the periods of a rule that changes
    /// on dates, each read on its own, then checked to follow each other.
    fn periods(&mut self, value: &Value, pointer: &str) -> Option<Vec<Period>> {
        let periods = self.list(value, pointer, Self::period)?;
        let before = self.errors.len();
        let last = periods.len() - 1;
        if let [only] = periods.as_slice()
            && only.from.is_none()
            && only.until.is_none()
        {
            self.fail::<()>(
                &format!("{pointer}/0"),
                "a single period needs from or until; without dates, write its rule alone",
                "期間が1つだけなら from か until を書いてください（日付がなければ条件だけを書きます）",
            );
        }
        for (index, period) in periods.iter().enumerate() {
            let at = format!("{pointer}/{index}");
            if index > 0 && period.from.is_none() {
                self.fail::<()>(
                    &at,
                    "every period after the first needs from, its first day",
                    "2番目以降の期間には from（開始日）を書いてください",
                );
            }
            if index < last && period.until.is_none() {
                self.fail::<()>(
                    &at,
                    "every period before the last needs until, its last day",
                    "最後以外の期間には until（終了日）を書いてください",
                );
            }
        }
        for (index, pair) in periods.windows(2).enumerate() {
            let (Some(until), Some(from)) = (pair[0].until, pair[1].from) else {
                continue;
            };
            let next_day = until.succ_opt().unwrap_or(until);
            if from == next_day {
                continue;
            }
            let (en, ja) = if from <= until {
                ("overlaps the period before", "前の期間と重なっています")
            } else {
                (
                    "leaves a gap after the period before",
                    "前の期間との間が空いています",
                )
            };
            self.fail::<()>(
                &format!("{pointer}/{}/from", index + 1),
                format!(
                    "this period {en}, which ends on {until}: start it on {next_day} (a period in which nobody is eligible has \"rule\": null)"
                ),
                format!(
                    "{ja}。前の期間は{}までなので、{}から始めてください（対象者がいない期間は \"rule\": null と書きます）",
                    format_date(until),
                    format_date(next_day)
                ),
            );
        }
        (self.errors.len() == before).then_some(periods)
    }

    fn period(&mut self, value: &Value, pointer: &str) -> Option<Period> {
        let Some(object) = value.as_object() else {
            return self.fail(
                pointer,
                "a period is an object with from, until and rule",
                "期間は from・until・rule を持つオブジェクトで指定してください",
            );
        };
        let mut valid = true;
        for key in object
            .keys()
            .filter(|key| !["from", "until", "rule"].contains(&key.as_str()))
        {
            valid = false;
            self.fail::<()>(
                &format!("{pointer}/{}", pointer_segment(key)),
                format!("unknown member {key:?} of a period; expected from, until or rule"),
                format!("期間に不明な項目「{key}」があります（from・until・rule が使えます）"),
            );
        }
        let from = self.period_date(object.get("from"), &format!("{pointer}/from"), &mut valid);
        let until = self.period_date(object.get("until"), &format!("{pointer}/until"), &mut valid);
        let rule = match object.get("rule") {
            None => {
                return self.fail(
                    pointer,
                    "a period needs rule (null when nobody is eligible in it)",
                    "期間には rule（条件。対象者がいない期間は null）を書いてください",
                );
            }
            Some(Value::Null) => None,
            Some(rule) => Some(self.rule(rule, &format!("{pointer}/rule"))?),
        };
        if let (Some(from), Some(until)) = (from, until)
            && until < from
        {
            return self.fail(
                &format!("{pointer}/until"),
                "the period ends before it starts",
                "期間の終わり（until）が始まり（from）より前です",
            );
        }
        valid.then_some(Period { from, until, rule })
    }

    /// A period's first or last day, as staff write it (see `japan::parse_date`), within the
    /// years every date of the service lies in.
    fn period_date(&mut self, value: Option<&Value>, pointer: &str, valid: &mut bool) -> Option<NaiveDate> {
        let value = value?;
        let parsed = match value.as_str().map(kosodate_domain::japan::parse_date) {
            Some(Ok(date)) => CalendarDate::try_from(date)
                .map(CalendarDate::date)
                .map_err(|error| (error.to_string(), error.message_ja().to_owned())),
            Some(Err(error)) => Err((error.to_string(), error.message_ja())),
            None => Err((
                "expected a date such as 2024-10-01 or 令和6年10月1日".to_owned(),
                "日付を 2024-10-01 や 令和6年10月1日 のように文字列で指定してください".to_owned(),
            )),
        };
        parsed
            .map_err(|(en, ja)| {
                *valid = false;
                self.fail::<()>(pointer, en, ja);
            })
            .ok()
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

    /// `{"unit": "months", "gte": 6, "lt": 36}`, or with ages in words, as people say them:
    /// `{"gte": "6か月", "lt": "3歳"}` (the unit is then the finest the words use).
    fn age(&mut self, value: &Value, pointer: &str) -> Option<ChildRule> {
        let Some(object) = value.as_object() else {
            return self.fail(
                pointer,
                "expected an object with unit and bounds",
                "unit と範囲を持つオブジェクトを指定してください",
            );
        };
        let mut bounds = object.clone();
        let written_unit = bounds.remove("unit");
        let unit = match written_unit
            .as_ref()
            .map(|unit| unit.as_str().and_then(AgeUnit::parse))
        {
            Some(Some(unit)) => Some(unit),
            None if bounds.values().any(Value::is_string) => Some(unit_of_words(&bounds)),
            _ => self.fail(
                &format!("{pointer}/unit"),
                "unit must be years, months or days",
                "unit には years（歳）・months（か月）・days（日）のいずれかを指定してください",
            ),
        };
        let range = unit.and_then(|unit| {
            self.range(&Value::Object(bounds), pointer, &|value: &Value| {
                let number = match value.as_str() {
                    Some(words) => age_in_unit(words, unit)?,
                    None => value.as_i64().unwrap_or(-1),
                };
                (0..=36_600).contains(&number).then_some(number).ok_or_else(|| {
                    (
                        "expected a whole number from 0 to 36600".to_owned(),
                        "0から36600までの整数を指定してください".to_owned(),
                    )
                })
            })
        });
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

/// An age in words: 「3歳」, 「6か月」, 「1歳6か月」, 「生後10日」 (満 and 生後 may lead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgeWords {
    Months { months: i64, whole_years: bool },
    Days(i64),
}

fn age_words(text: &str) -> Option<AgeWords> {
    let text: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c),
            _ => c,
        })
        .collect();
    let text = text.trim_start_matches("満").trim_start_matches("生後");
    let number = |digits: &str| {
        (!digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<i64>().ok())
            .flatten()
    };
    if let Some(days) = text.strip_suffix('日') {
        return number(days).map(AgeWords::Days);
    }
    let (years, rest) = match text.split_once('歳').or_else(|| text.split_once('才')) {
        Some((years, rest)) => (number(years)?, rest),
        None => (0, text),
    };
    let months = ["か月", "ヶ月", "カ月", "ヵ月", "ケ月"]
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix));
    match months {
        Some(months) => Some(AgeWords::Months {
            months: years * 12 + number(months)?,
            whole_years: false,
        }),
        None if rest.is_empty() && text != rest => Some(AgeWords::Months {
            months: years * 12,
            whole_years: true,
        }),
        None => None,
    }
}

/// The unit ages in words are counted in when no unit is written: days if they speak of days,
/// years if every one is a whole number of years, months otherwise.
fn unit_of_words(bounds: &Map<String, Value>) -> AgeUnit {
    let words = || bounds.values().filter_map(Value::as_str).filter_map(age_words);
    if words().any(|words| matches!(words, AgeWords::Days(_))) {
        AgeUnit::Days
    } else if words().all(|words| {
        matches!(
            words,
            AgeWords::Months {
                whole_years: true,
                ..
            }
        )
    }) {
        AgeUnit::Years
    } else {
        AgeUnit::Months
    }
}

/// An age in words as a number of `unit`, or why it cannot be one.
fn age_in_unit(text: &str, unit: AgeUnit) -> Result<i64, (String, String)> {
    let refused = |en: &str, ja: &str| (format!("{text:?} {en}"), format!("「{text}」{ja}"));
    match (age_words(text), unit) {
        (None, _) => Err(refused(
            "is not an age: write a number, or words such as 3歳, 6か月, 1歳6か月 or 10日",
            "は年齢として読めません。数か、3歳・6か月・1歳6か月・10日 のように書いてください",
        )),
        (Some(AgeWords::Days(days)), AgeUnit::Days) => Ok(days),
        (Some(AgeWords::Months { months, .. }), AgeUnit::Months) => Ok(months),
        (Some(AgeWords::Months { months, .. }), AgeUnit::Years) if months % 12 == 0 => Ok(months / 12),
        (Some(_), _) => Err(refused(
            "cannot be counted in the unit of the other bound; use one unit (months and days do not mix)",
            "はもう一方の範囲と同じ単位で数えられません（か月と日は混ぜられません）",
        )),
    }
}

/// 「小学1年」「小学1年生」「中学3年生」「高校2年」, as people name a school year: the grade.
fn school_year_in_words(name: &str) -> Option<i64> {
    let (first, last, rest) = [("小学", 1, 6), ("中学", 7, 9), ("高校", 10, 12)]
        .iter()
        .find_map(|(school, first, last)| Some((*first, *last, name.strip_prefix(school)?)))?;
    let year: i64 = rest
        .strip_suffix('生')
        .unwrap_or(rest)
        .strip_suffix('年')?
        .parse()
        .ok()?;
    let grade = first + year - 1;
    (year >= 1 && grade <= last).then_some(grade)
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
        .map(str::trim)
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
            Rule::ByPeriod(periods) => {
                json!({"by_period": periods.iter().map(Period::to_json).collect::<Vec<_>>()})
            }
            Rule::IncomeBand(range) => json!({"income_band": range.to_json(|rank| {
                Value::from(IncomeBand::VARIANTS.get(rank as usize).map_or("", |band| band.id()))
            })}),
        }
    }
}

impl Period {
    /// Dates are stored as ISO 8601 (`2024-10-01`), however staff wrote them.
    fn to_json(&self) -> Value {
        let mut object = Map::new();
        if let Some(from) = self.from {
            object.insert("from".into(), Value::from(from.to_string()));
        }
        if let Some(until) = self.until {
            object.insert("until".into(), Value::from(until.to_string()));
        }
        object.insert(
            "rule".into(),
            self.rule.as_ref().map_or(Value::Null, Rule::to_json),
        );
        Value::Object(object)
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
            ChildRule::UntilEndOfMonthOfAge(age) => json!({"until_end_of_month_of_age": age}),
            ChildRule::FromMonthAfterAge(age) => json!({"from_month_after_age": age}),
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
