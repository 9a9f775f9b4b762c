//! What the matcher knows about a household: only the attributes eligibility needs. Optional facts
//! are `None` until the parent chooses to share them; a rule that needs one then answers `unknown`.

use std::fmt;

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use serde::{Deserialize, Serialize};
use strum::VariantArray;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub municipality: MunicipalityCode,
    #[serde(default)]
    pub children: Vec<Child>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_parent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_band: Option<IncomeBand>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    #[serde(flatten)]
    pub birth: Birth,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disability_certificate: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub childcare: Option<Childcare>,
}

/// A child is either born (birth date) or expected (due date); a parent replaces the due date with
/// the birth date after the birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Birth {
    BirthDate(NaiveDate),
    DueDate(NaiveDate),
}

impl Birth {
    /// The date that orders children: birth date, or due date for an expected child.
    pub fn date(self) -> NaiveDate {
        match self {
            Birth::BirthDate(date) | Birth::DueDate(date) => date,
        }
    }
}

impl Child {
    pub fn born(birth_date: NaiveDate) -> Self {
        Self {
            birth: Birth::BirthDate(birth_date),
            disability_certificate: None,
            childcare: None,
        }
    }

    pub fn expected(due_date: NaiveDate) -> Self {
        Self {
            birth: Birth::DueDate(due_date),
            disability_certificate: None,
            childcare: None,
        }
    }
}

/// Declared household income band (所得の目安). Programs with 所得制限 state a limit as a band; the
/// order is from lowest to highest income.
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
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IncomeBand {
    #[strum(message = "住民税非課税世帯")]
    Nontaxable,
    // serde alone would say `up_to360`, which households stored before ids were said once.
    #[serde(rename = "up_to_360")]
    #[strum(
        to_string = "up_to_360",
        serialize = "up_to360",
        message = "年収約360万円以下"
    )]
    UpTo360,
    // serde alone would say `up_to640`, which households stored before ids were said once.
    #[serde(rename = "up_to_640")]
    #[strum(
        to_string = "up_to_640",
        serialize = "up_to640",
        message = "年収約640万円以下"
    )]
    UpTo640,
    // serde alone would say `up_to910`, which households stored before ids were said once.
    #[serde(rename = "up_to_910")]
    #[strum(
        to_string = "up_to_910",
        serialize = "up_to910",
        message = "年収約910万円以下"
    )]
    UpTo910,
    #[serde(rename = "over_910")]
    #[strum(to_string = "over_910", serialize = "over910", message = "年収約910万円超")]
    Over910,
}

kosodate_domain::vocabulary_deserialize!(IncomeBand);

impl IncomeBand {
    pub(crate) fn rank(self) -> i64 {
        Self::VARIANTS
            .iter()
            .position(|band| *band == self)
            .unwrap_or_default() as i64
    }
}

/// How a child is cared for during the day.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    utoipa::ToSchema,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Childcare {
    /// 保育所・認定こども園・地域型保育などを利用
    #[strum(message = "保育所等を利用")]
    Nursery,
    /// 幼稚園を利用
    #[strum(message = "幼稚園を利用")]
    Kindergarten,
    /// 在宅（どこにも通っていない）
    #[strum(message = "在宅")]
    Home,
}

kosodate_domain::vocabulary_deserialize!(Childcare);

impl Childcare {
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A fact a household has not shared and a rule needs. Child facts name the child by position
/// (1-based, in birth order) so that a parent knows which child the question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum MissingFact {
    SingleParent,
    IncomeBand,
    DisabilityCertificate { child: u8 },
    Childcare { child: u8 },
}

impl MissingFact {
    pub fn question_ja(self) -> String {
        match self {
            Self::SingleParent => "ひとり親家庭かどうかを教えていただくと判定できます".to_owned(),
            Self::IncomeBand => "世帯の所得の目安を教えていただくと判定できます".to_owned(),
            Self::DisabilityCertificate { child } => {
                format!("{child}人目のお子さんの障害者手帳などの有無を教えていただくと判定できます")
            }
            Self::Childcare { child } => {
                format!(
                    "{child}人目のお子さんの保育の状況（保育所・幼稚園・在宅）を教えていただくと判定できます"
                )
            }
        }
    }

    pub fn question_en(self) -> String {
        match self {
            Self::SingleParent => "tell us whether you are a single-parent family to know".to_owned(),
            Self::IncomeBand => "tell us your household income band to know".to_owned(),
            Self::DisabilityCertificate { child } => {
                format!("tell us whether child {child} holds a disability certificate to know")
            }
            Self::Childcare { child } => {
                format!("tell us how child {child} is cared for (nursery, kindergarten or home) to know")
            }
        }
    }
}

impl fmt::Display for MissingFact {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.question_en())
    }
}
