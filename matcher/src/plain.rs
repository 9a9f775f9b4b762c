//! Who a rule is for, in plain Japanese for parents: the rule itself read aloud as nested
//! sentences (「次のいずれかにあてはまる方」 with its conditions beneath), so that what a program
//! page says can never drift from what the matcher decides. Each condition's wording is
//! `describe()`'s (income limits excepted: the bands a limit admits are named one by one); this
//! module joins them into sentences about people and children.

use kosodate_domain::japan::format_date;
use kosodate_domain::{MunicipalityCode, Vocabulary};
use strum::VariantArray;

use crate::household::IncomeBand;
use crate::rule::{ChildRule, Period, Range, Rule};

/// A municipality's name, when known.
pub type MunicipalityNames<'a> = dyn Fn(MunicipalityCode) -> Option<String> + 'a;

/// One sentence and the conditions it introduces (empty for a single condition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainCondition {
    pub sentence: String,
    pub parts: Vec<PlainCondition>,
}

impl PlainCondition {
    fn leaf(sentence: String) -> Self {
        Self {
            sentence,
            parts: Vec::new(),
        }
    }

    /// Every sentence, depth first, for a one-line summary.
    pub fn sentences(&self) -> Vec<&str> {
        let mut sentences = vec![self.sentence.as_str()];
        for part in &self.parts {
            sentences.extend(part.sentences());
        }
        sentences
    }
}

impl Rule {
    /// Who the rule is for: 「…方」, a household described by its children and facts.
    /// Municipalities are named by their codes; see [`Rule::plain_japanese_naming`].
    pub fn plain_japanese(&self) -> PlainCondition {
        self.plain_japanese_naming(&|_| None)
    }

    /// [`Rule::plain_japanese`] with municipalities named by `name_of` (the registry knows the
    /// names; this crate does not), by code where it has none.
    pub fn plain_japanese_naming(&self, name_of: &MunicipalityNames<'_>) -> PlainCondition {
        match self {
            Rule::All(rules) => household_list("次のすべてにあてはまる方", rules, name_of),
            Rule::Any(rules) => household_list("次のいずれかにあてはまる方", rules, name_of),
            Rule::Not(rule) if is_household_leaf(rule) => {
                PlainCondition::leaf(format!("「{}」にあてはまらない方", rule.describe().0))
            }
            Rule::Not(rule) => PlainCondition {
                sentence: "次にあてはまらない方".into(),
                parts: vec![rule.plain_japanese_naming(name_of)],
            },
            Rule::SomeChild(child) => children_sentence(child, "がいる方"),
            Rule::EveryChild(child) if child.is_leaf() => {
                PlainCondition::leaf(format!("お子さん全員が「{}」にあてはまる方", child.describe().0))
            }
            Rule::EveryChild(child) => PlainCondition {
                sentence: format!("お子さん全員が{}方", child.lead_in()),
                parts: child.plain_parts(),
            },
            Rule::CountChildren { filter: None, .. } => {
                PlainCondition::leaf(format!("{}の方", self.describe().0))
            }
            Rule::CountChildren {
                filter: Some(child),
                range,
            } => {
                let count = Rule::CountChildren {
                    filter: None,
                    range: *range,
                };
                // 「お子さんが3人以上」 → 「が3人以上」, after 「…お子さん」
                let how_many = count.describe().0.replacen("お子さん", "", 1);
                children_sentence(child, &format!("{how_many}の方"))
            }
            Rule::Municipality(codes) => PlainCondition::leaf(
                match codes
                    .iter()
                    .map(|code| name_of(*code))
                    .collect::<Option<Vec<_>>>()
                {
                    Some(names) => format!("{}にお住まいの方", names.join("・")),
                    None => format!("{}方", self.describe().0),
                },
            ),
            Rule::SingleParent(false) => PlainCondition::leaf(format!("{}方", self.describe().0)),
            Rule::SingleParent(true) => PlainCondition::leaf(format!("{}の方", self.describe().0)),
            Rule::IncomeBand(range) => PlainCondition::leaf(income_bands(*range)),
            Rule::ByPeriod(periods) => PlainCondition {
                sentence: "対象となる方は、時期によって次のとおりです".into(),
                parts: periods
                    .iter()
                    .map(|period| period_sentence(period, name_of))
                    .collect(),
            },
        }
    }

    /// Every municipality the rule names, once each, for [`Rule::plain_japanese_naming`].
    pub fn municipalities_named(&self) -> Vec<MunicipalityCode> {
        let mut codes = match self {
            Rule::All(rules) | Rule::Any(rules) => {
                rules.iter().flat_map(Rule::municipalities_named).collect()
            }
            Rule::Not(rule) => rule.municipalities_named(),
            Rule::ByPeriod(periods) => periods
                .iter()
                .filter_map(|period| period.rule.as_ref())
                .flat_map(Rule::municipalities_named)
                .collect(),
            Rule::Municipality(codes) => codes.clone(),
            _ => Vec::new(),
        };
        codes.sort();
        codes.dedup();
        codes
    }
}

/// The bands a range admits, by name: 「所得の目安が「年収約360万円以下」以下」 says less to a
/// parent than the bands themselves.
fn income_bands(range: Range) -> String {
    let bands: Vec<String> = IncomeBand::VARIANTS
        .iter()
        .filter(|band| range.contains(band.rank()))
        .map(|band| format!("「{}」", band.label_ja()))
        .collect();
    match bands.as_slice() {
        [one] => format!("世帯の所得の目安が{one}の方"),
        _ => format!("世帯の所得の目安が{}のいずれかの方", bands.join("")),
    }
}

/// 「令和6年10月1日（2024年10月1日）から：…方」, the period's rule led by its days.
fn period_sentence(period: &Period, name_of: &MunicipalityNames<'_>) -> PlainCondition {
    let days = match (period.from, period.until) {
        (Some(from), Some(until)) => format!("{}から{}まで", format_date(from), format_date(until)),
        (Some(from), None) => format!("{}から", format_date(from)),
        (None, Some(until)) => format!("{}まで", format_date(until)),
        (None, None) => "いつでも".to_owned(),
    };
    let Some(rule) = &period.rule else {
        return PlainCondition::leaf(format!("{days}：対象となる方はいません"));
    };
    let plain = rule.plain_japanese_naming(name_of);
    PlainCondition {
        sentence: format!("{days}：{}", plain.sentence),
        parts: plain.parts,
    }
}

fn household_list(sentence: &str, rules: &[Rule], name_of: &MunicipalityNames<'_>) -> PlainCondition {
    PlainCondition {
        sentence: sentence.into(),
        parts: rules
            .iter()
            .map(|rule| rule.plain_japanese_naming(name_of))
            .collect(),
    }
}

fn is_household_leaf(rule: &Rule) -> bool {
    !matches!(
        rule,
        Rule::All(_) | Rule::Any(_) | Rule::Not(_) | Rule::ByPeriod(_)
    )
}

/// 「{modifier}お子さん{ending}」, or for a combined condition 「次の…にあてはまるお子さん{ending}」
/// with the conditions beneath.
fn children_sentence(child: &ChildRule, ending: &str) -> PlainCondition {
    if child.is_leaf() {
        return PlainCondition::leaf(format!("{}お子さん{ending}", child.modifier()));
    }
    PlainCondition {
        sentence: format!("{}お子さん{ending}", child.lead_in()),
        parts: child.plain_parts(),
    }
}

impl ChildRule {
    fn is_leaf(&self) -> bool {
        !matches!(self, ChildRule::All(_) | ChildRule::Any(_) | ChildRule::Not(_))
    }

    /// The words before 「お子さん」: 「未就学の」, 「障害者手帳などを持っている」.
    fn modifier(&self) -> String {
        let (ja, _) = self.describe();
        match self {
            // Conditions that end in a verb or 「ない」 qualify a noun without 「の」.
            ChildRule::DisabilityCertificate(_) | ChildRule::MultipleBirth(false) => ja,
            _ => format!("{ja}の"),
        }
    }

    /// 「次のすべてにあてはまる」 and the like, before a noun.
    fn lead_in(&self) -> &'static str {
        match self {
            ChildRule::All(_) => "次のすべてにあてはまる",
            ChildRule::Any(_) => "次のいずれかにあてはまる",
            _ => "次にあてはまらない",
        }
    }

    /// The conditions a combined child condition lists, each about the child.
    fn plain_parts(&self) -> Vec<PlainCondition> {
        match self {
            ChildRule::All(rules) | ChildRule::Any(rules) => {
                rules.iter().map(ChildRule::plain_condition).collect()
            }
            ChildRule::Not(rule) => vec![rule.plain_condition()],
            _ => vec![self.plain_condition()],
        }
    }

    /// One condition about the child, as an item of a list.
    fn plain_condition(&self) -> PlainCondition {
        match self {
            ChildRule::All(_) | ChildRule::Any(_) => PlainCondition {
                sentence: self.lead_in().into(),
                parts: self.plain_parts(),
            },
            ChildRule::Not(rule) if rule.is_leaf() => {
                PlainCondition::leaf(format!("「{}」にあてはまらない", rule.describe().0))
            }
            ChildRule::Not(rule) => PlainCondition {
                sentence: self.lead_in().into(),
                parts: vec![rule.plain_condition()],
            },
            _ => PlainCondition::leaf(self.describe().0),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::EligibilityDocument;

    fn plain(rule: &Value) -> PlainCondition {
        EligibilityDocument::parse(&json!({"version": 1, "rule": rule}))
            .expect("a valid rule")
            .into_rule()
            .expect("a rule")
            .plain_japanese()
    }

    fn leaf(sentence: &str) -> PlainCondition {
        PlainCondition::leaf(sentence.into())
    }

    fn list(sentence: &str, parts: Vec<PlainCondition>) -> PlainCondition {
        PlainCondition {
            sentence: sentence.into(),
            parts,
        }
    }

    #[test]
    fn a_single_child_condition_is_one_sentence() {
        assert_eq!(
            plain(&json!({"some_child": {"until_march_31_after_age": 18}})),
            leaf("18歳到達後最初の3月31日までのお子さんがいる方")
        );
        assert_eq!(
            plain(&json!({"some_child": {"school_stage": "preschool"}})),
            leaf("未就学のお子さんがいる方")
        );
        assert_eq!(
            plain(&json!({"some_child": {"disability_certificate": true}})),
            leaf("障害者手帳などを持っているお子さんがいる方")
        );
        assert_eq!(
            plain(&json!({"some_child": {"age": {"unit": "months", "gte": 18, "lt": 24}}})),
            leaf("生後18か月以上24か月未満のお子さんがいる方")
        );
    }

    #[test]
    fn combined_conditions_nest_as_lists() {
        assert_eq!(
            plain(&json!({"some_child": {"any": [{"until_march_31_after_age": 18}, {"unborn": true}]}})),
            list(
                "次のいずれかにあてはまるお子さんがいる方",
                vec![leaf("18歳到達後最初の3月31日まで"), leaf("出産予定（妊娠中）")]
            )
        );
        assert_eq!(
            plain(&json!({"all": [
                {"single_parent": true},
                {"some_child": {"any": [
                    {"until_march_31_after_age": 18},
                    {"all": [{"disability_certificate": true}, {"age": {"unit": "years", "lt": 20}}]}
                ]}},
                {"income_band": {"lte": "up_to_360"}}
            ]})),
            list(
                "次のすべてにあてはまる方",
                vec![
                    leaf("ひとり親家庭の方"),
                    list(
                        "次のいずれかにあてはまるお子さんがいる方",
                        vec![
                            leaf("18歳到達後最初の3月31日まで"),
                            list(
                                "次のすべてにあてはまる",
                                vec![leaf("障害者手帳などを持っている"), leaf("年齢が20歳未満")]
                            ),
                        ]
                    ),
                    leaf("世帯の所得の目安が「住民税非課税世帯」「年収約360万円以下」のいずれかの方"),
                ]
            )
        );
    }

    #[test]
    fn negations_counts_and_every_child_read_as_sentences() {
        assert_eq!(
            plain(&json!({"not": {"single_parent": true}})),
            leaf("「ひとり親家庭」にあてはまらない方")
        );
        assert_eq!(
            plain(&json!({"count_children": {"where": {"school_stage": "preschool"}, "gte": 3}})),
            leaf("未就学のお子さんが3人以上の方")
        );
        assert_eq!(
            plain(&json!({"income_band": {"gt": "up_to_910"}})),
            leaf("世帯の所得の目安が「年収約910万円超」の方")
        );
        assert_eq!(
            plain(&json!({"count_children": {"gte": 2}})),
            leaf("お子さんが2人以上の方")
        );
        assert_eq!(
            plain(&json!({"every_child": {"school_stage": "elementary"}})),
            leaf("お子さん全員が「小学生」にあてはまる方")
        );
        assert_eq!(
            plain(&json!({"some_child": {"not": {"childcare": ["home"]}}})),
            list(
                "次にあてはまらないお子さんがいる方",
                vec![leaf("保育の状況が在宅")]
            )
        );
    }

    #[test]
    fn municipalities_are_named_when_their_names_are_known() {
        let rule = EligibilityDocument::parse(&json!({"version": 1, "rule": {"any": [
            {"municipality": ["022012", "022021"]},
            {"not": {"municipality": ["022039"]}}
        ]}}))
        .expect("a valid rule")
        .into_rule()
        .expect("a rule");
        let codes: Vec<String> = rule
            .municipalities_named()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(codes, ["022012", "022021", "022039"]);
        let names = |code: MunicipalityCode| match code.as_str() {
            "022012" => Some("青森市".to_owned()),
            "022021" => Some("弘前市".to_owned()),
            _ => None,
        };
        assert_eq!(
            rule.plain_japanese_naming(&names),
            list(
                "次のいずれかにあてはまる方",
                vec![
                    leaf("青森市・弘前市にお住まいの方"),
                    leaf("「対象の市町村（022039）に住んでいる」にあてはまらない方"),
                ]
            )
        );
    }

    #[test]
    fn the_words_follow_the_rule() {
        let before = plain(&json!({"some_child": {"age": {"unit": "years", "lt": 3}}}));
        let after = plain(&json!({"some_child": {"age": {"unit": "years", "lt": 6}}}));
        assert_eq!(before.sentence, "年齢が3歳未満のお子さんがいる方");
        assert_eq!(after.sentence, "年齢が6歳未満のお子さんがいる方");
    }
}
