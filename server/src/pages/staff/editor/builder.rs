//! The eligibility builder: the rule language (docs/rules.md) as rows of a form that work
//! without JavaScript. A rule is a list of conditions joined by 「すべて満たす」 or 「いずれかを
//! 満たす」; a condition may belong to one of three groups, each with its own join, one level
//! deep. Conditions about a child in the same group are about the same child (one
//! `some_child`), because 「生後6か月から就学前」 means one child who is both. The builder writes
//! the same document the API takes and reads back every document of that shape; any other
//! stored rule is kept as it is unless the clerk replaces it.

use std::collections::BTreeMap;

use kosodate_domain::{MunicipalityCode, Vocabulary};
use kosodate_matcher::{
    AgeUnit, Bound, ChildRule, EligibilityDocument, IncomeBand, Range, Rule, SchoolStage,
};
use strum::VariantArray;

use super::wording::{self, Message, read_number};

/// How many groups a rule may have besides its top level.
pub const GROUPS: usize = 3;

/// What kind of condition a row is: its id in the form and its label.
pub const KINDS: &[(&str, &str)] = &[
    ("age", "お子さんの年齢"),
    ("stage", "就学の段階（未就学・小学生など）"),
    ("grade", "学年（年少〜高3）"),
    ("until_march31", "○歳になった後の最初の3月31日まで"),
    ("pregnancy", "妊娠中（妊娠週数）"),
    ("born_within", "生まれてから○日以内"),
    ("birth_order", "出生順（第○子）"),
    ("single_parent", "ひとり親家庭"),
    ("income", "世帯の所得の目安"),
    ("municipality", "住んでいる市町村"),
];

/// How the conditions of a level are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Join {
    #[default]
    All,
    Any,
}

impl Join {
    pub fn id(self) -> &'static str {
        match self {
            Join::All => "all",
            Join::Any => "any",
        }
    }

    fn read(text: &str) -> Self {
        match text {
            "any" => Join::Any,
            _ => Join::All,
        }
    }

    fn household(self, mut parts: Vec<Rule>) -> Rule {
        match (parts.len(), self) {
            (1, _) => parts.remove(0),
            (_, Join::All) => Rule::All(parts),
            (_, Join::Any) => Rule::Any(parts),
        }
    }

    fn child(self, mut parts: Vec<ChildRule>) -> ChildRule {
        match (parts.len(), self) {
            (1, _) => parts.remove(0),
            (_, Join::All) => ChildRule::All(parts),
            (_, Join::Any) => ChildRule::Any(parts),
        }
    }
}

/// Whether the program has a rule the builder shows, a stored rule it cannot show, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMode {
    /// The rows are the rule (no rows: eligibility in words only).
    #[default]
    Build,
    /// A stored rule the builder cannot represent, kept as it is.
    Keep,
}

/// One condition as entered: every value as typed, so that a form with errors comes back as it
/// was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionRow {
    pub kind: String,
    /// "" for the top level, "1" to "3" for a group.
    pub group: String,
    pub from: String,
    /// `gte` (以上) or `gt` (を超える).
    pub from_op: String,
    pub until: String,
    /// `lt` (未満) or `lte` (以下).
    pub until_op: String,
    pub value: String,
}

impl ConditionRow {
    pub fn of_kind(kind: &str) -> Self {
        let (from_op, until_op) = match kind {
            "grade" | "birth_order" => ("gte", "lte"),
            _ => ("gte", "lt"),
        };
        // A choice starts at its first option, as the form's select shows it.
        let value = match kind {
            "stage" => SchoolStage::Preschool.label_ja(),
            "single_parent" => "yes",
            _ => "",
        };
        Self {
            kind: kind.to_owned(),
            from_op: from_op.to_owned(),
            until_op: until_op.to_owned(),
            value: value.to_owned(),
            ..Self::default()
        }
    }

    fn is_about_a_child(&self) -> bool {
        !matches!(self.kind.as_str(), "single_parent" | "income" | "municipality")
    }
}

/// The builder's part of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Builder {
    pub mode: RuleMode,
    pub join: Join,
    pub group_joins: [Join; GROUPS],
    pub rows: Vec<ConditionRow>,
    /// The stored document, as JSON text: kept in `Keep` mode, and compared with in `Build` mode
    /// so that saving an untouched rule does not rewrite it.
    pub original: String,
}

/// Names of municipalities both ways, for the residence condition.
pub struct Places<'a> {
    pub code_of: &'a dyn Fn(&str) -> Option<MunicipalityCode>,
    pub name_of: &'a dyn Fn(MunicipalityCode) -> Option<String>,
}

impl Builder {
    /// The builder's fields of a posted form.
    pub fn from_fields(field: &dyn Fn(&str) -> String) -> Self {
        let mut rows = Vec::new();
        for index in 0.. {
            let name = |part: &str| field(&format!("c{index}_{part}"));
            let kind = name("kind");
            if kind.is_empty() {
                break;
            }
            rows.push(ConditionRow {
                kind,
                group: name("group"),
                from: name("from"),
                from_op: name("from_op"),
                until: name("until"),
                until_op: name("until_op"),
                value: name("value"),
            });
        }
        Self {
            mode: match field("rule_mode").as_str() {
                "keep" => RuleMode::Keep,
                _ => RuleMode::Build,
            },
            join: Join::read(&field("rule_join")),
            group_joins: std::array::from_fn(|group| Join::read(&field(&format!("group{}_join", group + 1)))),
            rows,
            original: field("rule_original"),
        }
    }

    /// The rule document the form stands for, or the message for each row that is wrong
    /// (keyed `c{index}`).
    pub fn document(&self, places: &Places<'_>) -> Result<serde_json::Value, BTreeMap<String, Message>> {
        let original = serde_json::from_str::<serde_json::Value>(&self.original).ok();
        if self.mode == RuleMode::Keep
            && let Some(original) = original
        {
            return Ok(original);
        }
        let rule = self.rule(places)?;
        // An untouched rule is saved as it was stored, not in the builder's own shape.
        if let Some(original) = original
            && let Some(stored) = stored_rule(&original)
            && Builder::of_rule(&stored, places).and_then(|builder| builder.rule(places).ok())
                == Some(rule.clone())
        {
            return Ok(original);
        }
        Ok(match rule {
            Some(rule) => EligibilityDocument::from_rule(rule).to_value(),
            None => kosodate_registry::default_eligibility(),
        })
    }

    /// The rule of the rows; `None` when there are none (eligibility in words only).
    pub fn rule(&self, places: &Places<'_>) -> Result<Option<Rule>, BTreeMap<String, Message>> {
        let mut errors = BTreeMap::new();
        let mut conditions = Vec::new();
        for (index, row) in self.rows.iter().enumerate() {
            match row_condition(row, places) {
                Ok(condition) => conditions.push((row.group.as_str(), condition)),
                Err(message) => drop(errors.insert(format!("c{index}"), message)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut top = Level::new(self.join);
        let mut groups: [Level; GROUPS] = std::array::from_fn(|group| Level::new(self.group_joins[group]));
        for (group, condition) in conditions {
            match group.parse::<usize>().ok().filter(|g| (1..=GROUPS).contains(g)) {
                Some(group) => {
                    if groups[group - 1].is_empty() {
                        top.push(Condition::Group(group - 1));
                    }
                    groups[group - 1].push(condition);
                }
                None => top.push(condition),
            }
        }
        Ok(top.into_rule(&mut groups))
    }

    /// The builder with only the rows that can be read, so that the sentence and the preview
    /// follow what is complete while a new row is being filled in.
    pub fn without_wrong_rows(&self, places: &Places<'_>) -> Builder {
        Builder {
            rows: self
                .rows
                .iter()
                .filter(|row| row_condition(row, places).is_ok())
                .cloned()
                .collect(),
            original: String::new(),
            ..self.clone()
        }
    }

    /// The builder showing `rule`, if it has the builder's shape.
    pub fn of_rule(rule: &Rule, places: &Places<'_>) -> Option<Builder> {
        let (join, elements) = split(rule);
        let mut builder = Builder {
            join,
            ..Builder::default()
        };
        one_child_under_all(join, elements)?;
        let mut groups = 0;
        for element in elements {
            match element {
                Rule::All(_) | Rule::Any(_) if groups < GROUPS => {
                    let (group_join, members) = split(element);
                    one_child_under_all(group_join, members)?;
                    builder.group_joins[groups] = group_join;
                    groups += 1;
                    for member in members {
                        builder.read_member(member, group_join, &groups.to_string(), places)?;
                    }
                }
                element => builder.read_member(element, join, "", places)?,
            }
        }
        Some(builder)
    }

    /// Adds the rows of one member of a level; `None` when it cannot be shown as rows.
    fn read_member(&mut self, member: &Rule, join: Join, group: &str, places: &Places<'_>) -> Option<()> {
        let rows = match member {
            Rule::SomeChild(child) => child_rows(child, join)?,
            household => vec![household_row(household, places)?],
        };
        self.rows.extend(rows.into_iter().map(|row| ConditionRow {
            group: group.to_owned(),
            ..row
        }));
        Some(())
    }
}

/// Conditions about one child under 「すべて」 must come from one `some_child`: two would allow two
/// different children, which the rows cannot say.
fn one_child_under_all(join: Join, members: &[Rule]) -> Option<()> {
    let children = members.iter().filter(|m| matches!(m, Rule::SomeChild(_))).count();
    (join == Join::Any || children <= 1).then_some(())
}

/// The rule of a stored document, if it has one.
pub fn stored_rule(document: &serde_json::Value) -> Option<Rule> {
    EligibilityDocument::parse(document).ok()?.into_rule()
}

fn split(rule: &Rule) -> (Join, &[Rule]) {
    match rule {
        Rule::All(members) => (Join::All, members),
        Rule::Any(members) => (Join::Any, members),
        other => (Join::All, std::slice::from_ref(other)),
    }
}

/// One row's condition, on the household or on a child.
enum Condition {
    Household(Rule),
    Child(ChildRule),
    Group(usize),
}

/// The conditions of one level, in the order of their rows.
struct Level {
    join: Join,
    conditions: Vec<Condition>,
}

impl Level {
    fn new(join: Join) -> Self {
        Self {
            join,
            conditions: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }

    fn push(&mut self, condition: Condition) {
        self.conditions.push(condition);
    }

    /// Under 「すべて」 a level's child conditions are about one child, placed where the first of
    /// them was; under 「いずれか」 each is about some child of its own.
    fn into_rule(self, groups: &mut [Level; GROUPS]) -> Option<Rule> {
        let mut parts = Vec::new();
        let mut child_parts = Vec::new();
        let mut child_position = None;
        for condition in self.conditions {
            match condition {
                Condition::Household(rule) => parts.push(rule),
                Condition::Child(rule) if self.join == Join::Any => parts.push(Rule::SomeChild(rule)),
                Condition::Child(rule) => {
                    child_position.get_or_insert(parts.len());
                    child_parts.push(rule);
                }
                Condition::Group(group) => {
                    let level = std::mem::replace(&mut groups[group], Level::new(Join::All));
                    parts.extend(level.into_rule(groups));
                }
            }
        }
        if let Some(position) = child_position {
            parts.insert(position, Rule::SomeChild(self.join.child(child_parts)));
        }
        (!parts.is_empty()).then(|| self.join.household(parts))
    }
}

fn row_condition(row: &ConditionRow, places: &Places<'_>) -> Result<Condition, Message> {
    if row.is_about_a_child() {
        return child_condition(row).map(Condition::Child);
    }
    let rule = match row.kind.as_str() {
        "single_parent" => Rule::SingleParent(row.value != "no"),
        "income" => {
            // Bands are ranked by their place in the list, lowest income first.
            let rank = IncomeBand::VARIANTS
                .iter()
                .position(|band| band.id() == row.value)
                .ok_or("所得の目安を選んでください")?;
            Rule::IncomeBand(Range {
                lower: None,
                upper: Some(Bound {
                    value: i64::try_from(rank).unwrap_or_default(),
                    inclusive: true,
                }),
            })
        }
        "municipality" => Rule::Municipality(municipalities(&row.value, places)?),
        _ => return Err("条件の種類を選んでください".to_owned()),
    };
    Ok(Condition::Household(rule))
}

fn child_condition(row: &ConditionRow) -> Result<ChildRule, Message> {
    let number = |text: &str, what: &str| {
        read_number(text)
            .and_then(|n| i64::try_from(n).ok())
            .ok_or_else(|| format!("{what}は数字で入力してください（入力：{}）", text.trim()))
    };
    Ok(match row.kind.as_str() {
        "age" => age_condition(row)?,
        "stage" => {
            ChildRule::SchoolStage(wording::read_stage(&row.value).ok_or("就学の段階を選んでください")?)
        }
        "grade" => ChildRule::SchoolGrade(range(row, wording::read_grade)?),
        "until_march31" => ChildRule::UntilMarch31AfterAge(
            u32::try_from(number(row.value.trim_end_matches('歳'), "年齢")?)
                .map_err(|_| "年齢が大きすぎます")?,
        ),
        "pregnancy" if row.from.trim().is_empty() && row.until.trim().is_empty() => ChildRule::Unborn(true),
        "pregnancy" => ChildRule::PregnancyWeeks(range(row, |text| {
            number(text.trim_end_matches('週'), "妊娠週数")
        })?),
        "born_within" => ChildRule::BornWithinDays(wording::read_days(&row.value)?),
        "birth_order" => ChildRule::BirthOrder(range(row, |text| {
            number(text.trim_start_matches('第').trim_end_matches('子'), "出生順")
        })?),
        _ => return Err("条件の種類を選んでください".to_owned()),
    })
}

/// An age range: both ends in one unit, years becoming months when the other end has months.
fn age_condition(row: &ConditionRow) -> Result<ChildRule, Message> {
    let read = |text: &str| match text.trim() {
        "" => Ok(None),
        text => wording::read_age(text).map(Some),
    };
    let (from, until) = (read(&row.from)?, read(&row.until)?);
    let unit = match (from.map(|(unit, _)| unit), until.map(|(unit, _)| unit)) {
        (None, None) => {
            return Err("年齢の下限か上限を入力してください（例：6か月 以上、3歳 未満）".to_owned());
        }
        (Some(unit), None) | (None, Some(unit)) => unit,
        (Some(a), Some(b)) if a == b => a,
        (Some(AgeUnit::Days), _) | (_, Some(AgeUnit::Days)) => {
            return Err("日数で書いた年齢は、もう一方も日数で書いてください".to_owned());
        }
        _ => AgeUnit::Months,
    };
    let in_unit = |age: Option<(AgeUnit, i64)>| {
        age.map(|(given, value)| match (given, unit) {
            (AgeUnit::Years, AgeUnit::Months) => value * 12,
            _ => value,
        })
    };
    let range = bounds(row, in_unit(from), in_unit(until))?;
    Ok(ChildRule::Age { unit, range })
}

fn range(row: &ConditionRow, read: impl Fn(&str) -> Result<i64, Message>) -> Result<Range, Message> {
    let read = |text: &str| match text.trim() {
        "" => Ok(None),
        text => read(text).map(Some),
    };
    bounds(row, read(&row.from)?, read(&row.until)?)
}

fn bounds(row: &ConditionRow, from: Option<i64>, until: Option<i64>) -> Result<Range, Message> {
    let range = Range {
        lower: from.map(|value| Bound {
            value,
            inclusive: row.from_op != "gt",
        }),
        upper: until.map(|value| Bound {
            value,
            inclusive: row.until_op == "lte",
        }),
    };
    match (range.lower, range.upper, range.min(), range.max()) {
        (None, None, ..) => Err("下限か上限を入力してください".to_owned()),
        (.., Some(min), Some(max)) if min > max => Err("下限が上限を上回っています".to_owned()),
        _ => Ok(range),
    }
}

fn municipalities(text: &str, places: &Places<'_>) -> Result<Vec<MunicipalityCode>, Message> {
    let mut codes = Vec::new();
    for token in text
        .split([',', '、', '，', ' ', '　', '\n'])
        .filter(|t| !t.trim().is_empty())
    {
        let token = token.trim();
        let code = MunicipalityCode::parse(&kosodate_domain::japan::half_width(token))
            .ok()
            .or_else(|| (places.code_of)(token))
            .ok_or_else(|| format!("「{token}」という市町村は見つかりません（例：弘前市、022021）"))?;
        codes.push(code);
    }
    match codes.is_empty() {
        true => Err("市町村を1つ以上入力してください（例：弘前市、黒石市）".to_owned()),
        false => Ok(codes),
    }
}

fn household_row(rule: &Rule, places: &Places<'_>) -> Option<ConditionRow> {
    let row = match rule {
        Rule::SingleParent(flag) => ConditionRow {
            value: (if *flag { "yes" } else { "no" }).to_owned(),
            ..ConditionRow::of_kind("single_parent")
        },
        Rule::IncomeBand(Range {
            lower: None,
            upper: Some(upper),
        }) => {
            let rank = upper.value - i64::from(!upper.inclusive);
            let band = IncomeBand::VARIANTS.get(usize::try_from(rank).ok()?)?;
            ConditionRow {
                value: band.id().to_owned(),
                ..ConditionRow::of_kind("income")
            }
        }
        Rule::Municipality(codes) => ConditionRow {
            value: codes
                .iter()
                .map(|code| (places.name_of)(*code).unwrap_or_else(|| code.to_string()))
                .collect::<Vec<_>>()
                .join("、"),
            ..ConditionRow::of_kind("municipality")
        },
        _ => return None,
    };
    Some(row)
}

/// A `some_child` condition as rows: one predicate, or predicates joined like the level.
fn child_rows(child: &ChildRule, join: Join) -> Option<Vec<ConditionRow>> {
    match (child, join) {
        (ChildRule::All(members), Join::All) | (ChildRule::Any(members), Join::Any) => {
            members.iter().map(child_row).collect()
        }
        (predicate, _) => Some(vec![child_row(predicate)?]),
    }
}

fn child_row(rule: &ChildRule) -> Option<ConditionRow> {
    let with_range = |kind: &str, range: &Range, write: &dyn Fn(i64) -> String| {
        let mut row = ConditionRow::of_kind(kind);
        if let Some(lower) = range.lower {
            row.from = write(lower.value);
            row.from_op = (if lower.inclusive { "gte" } else { "gt" }).to_owned();
        }
        if let Some(upper) = range.upper {
            row.until = write(upper.value);
            row.until_op = (if upper.inclusive { "lte" } else { "lt" }).to_owned();
        }
        row
    };
    let with_value = |kind: &str, value: String| ConditionRow {
        value,
        ..ConditionRow::of_kind(kind)
    };
    Some(match rule {
        ChildRule::Age { unit, range } => with_range("age", range, &|value| wording::write_age(*unit, value)),
        ChildRule::SchoolStage(stage) => with_value("stage", stage.label_ja().to_owned()),
        ChildRule::SchoolGrade(range) => with_range("grade", range, &kosodate_matcher::grade_name),
        ChildRule::UntilMarch31AfterAge(age) => with_value("until_march31", age.to_string()),
        ChildRule::Unborn(true) => ConditionRow::of_kind("pregnancy"),
        ChildRule::PregnancyWeeks(range) => with_range("pregnancy", range, &|weeks| weeks.to_string()),
        ChildRule::BornWithinDays(days) => with_value("born_within", days.to_string()),
        ChildRule::BirthOrder(range) => with_range("birth_order", range, &|order| order.to_string()),
        _ => return None,
    })
}

/// The stages a stage row offers, with the words the form shows.
pub fn stages() -> Vec<(&'static str, &'static str)> {
    SchoolStage::VARIANTS
        .iter()
        .map(|stage| (stage.label_ja(), stage.label_ja()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn no_places() -> Places<'static> {
        Places {
            code_of: &|name| (name == "弘前市").then(|| MunicipalityCode::parse("022021").expect("code")),
            name_of: &|code| (code.as_str() == "022021").then(|| "弘前市".to_owned()),
        }
    }

    fn rule(value: &serde_json::Value) -> Rule {
        stored_rule(&json!({"version": 1, "rule": value})).expect("a valid rule")
    }

    fn row(kind: &str, from: &str, until: &str, value: &str) -> ConditionRow {
        ConditionRow {
            from: from.to_owned(),
            until: until.to_owned(),
            value: value.to_owned(),
            ..ConditionRow::of_kind(kind)
        }
    }

    #[test]
    fn six_months_until_school_is_one_child_who_is_both() {
        let builder = Builder {
            rows: vec![row("age", "6か月", "", ""), row("stage", "", "", "就学前")],
            ..Builder::default()
        };
        let document = builder.document(&no_places()).expect("valid rows");
        assert_eq!(
            document,
            json!({"version": 1, "rule": {"some_child": {"all": [
                {"age": {"unit": "months", "gte": 6}},
                {"school_stage": "preschool"}
            ]}}})
        );
    }

    #[test]
    fn documents_of_the_builders_shape_are_read_back_as_they_were() {
        for value in [
            json!({"some_child": {"age": {"unit": "years", "lt": 3}}}),
            json!({"some_child": {"all": [{"age": {"unit": "months", "gte": 6}}, {"school_stage": "preschool"}]}}),
            json!({"all": [{"single_parent": true}, {"some_child": {"until_march_31_after_age": 18}}]}),
            json!({"any": [{"some_child": {"unborn": true}}, {"some_child": {"born_within_days": 28}}]}),
            json!({"all": [{"municipality": ["022021"]}, {"any": [{"income_band": {"lte": "up_to_360"}}, {"single_parent": true}]}]}),
            json!({"some_child": {"all": [{"pregnancy_weeks": {"gte": 12, "lt": 22}}, {"birth_order": {"gte": 3}}]}}),
            json!({"some_child": {"school_grade": {"gte": "年少", "lte": "年長"}}}),
        ] {
            let rule = rule(&value);
            let builder =
                Builder::of_rule(&rule, &no_places()).unwrap_or_else(|| panic!("{value} is representable"));
            assert_eq!(builder.rule(&no_places()), Ok(Some(rule)), "{value}");
        }
    }

    #[test]
    fn documents_of_another_shape_are_not_read() {
        for value in [
            json!({"not": {"single_parent": true}}),
            json!({"count_children": {"gte": 2}}),
            json!({"every_child": {"unborn": false}}),
            json!({"all": [{"some_child": {"unborn": true}}, {"some_child": {"birth_order": {"gte": 2}}}]}),
            json!({"some_child": {"childcare": ["home"]}}),
        ] {
            assert_eq!(Builder::of_rule(&rule(&value), &no_places()), None, "{value}");
        }
    }

    #[test]
    fn a_kept_rule_and_an_untouched_rule_are_saved_as_stored() {
        let stored = json!({"version": 1, "rule": {"not": {"single_parent": true}}});
        let kept = Builder {
            mode: RuleMode::Keep,
            original: stored.to_string(),
            ..Builder::default()
        };
        assert_eq!(kept.document(&no_places()), Ok(stored));
        let stored = json!({"version": 1, "rule": {"any": [{"some_child": {"any": [{"unborn": true}, {"born_within_days": 28}]}}]}});
        let mut untouched =
            Builder::of_rule(&stored_rule(&stored).expect("rule"), &no_places()).expect("representable");
        untouched.original = stored.to_string();
        assert_eq!(untouched.document(&no_places()), Ok(stored));
    }

    #[test]
    fn wrong_rows_are_reported_at_their_row() {
        let builder = Builder {
            rows: vec![
                row("age", "3歳", "6か月", ""),
                row("municipality", "", "", "どこか町"),
                row("income", "", "", ""),
                row("grade", "小1", "", ""),
            ],
            ..Builder::default()
        };
        let errors = builder.rule(&no_places()).expect_err("wrong rows");
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["c0", "c1", "c2"]);
        assert!(errors["c1"].contains("どこか町"), "{}", errors["c1"]);
    }

    #[test]
    fn groups_join_their_own_conditions() {
        let mut income = row("income", "", "", "up_to_360");
        income.group = "1".to_owned();
        let mut single = row("single_parent", "", "", "yes");
        single.group = "1".to_owned();
        let builder = Builder {
            group_joins: [Join::Any, Join::All, Join::All],
            rows: vec![row("stage", "", "", "未就学"), income, single],
            ..Builder::default()
        };
        assert_eq!(
            builder.rule(&no_places()),
            Ok(Some(rule(&json!({"all": [
                {"some_child": {"school_stage": "preschool"}},
                {"any": [{"income_band": {"lte": "up_to_360"}}, {"single_parent": true}]}
            ]}))))
        );
    }
}
