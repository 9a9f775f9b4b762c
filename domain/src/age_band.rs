//! A child's age as a coarse band: the only age the community's tags and the evidence for policy
//! keep, because a band is shared by many children and a birth date points at one.

use serde::Serialize;

/// The ids are stored (community tags, roll-ups) and are the names in the API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AgeBand {
    #[strum(
        to_string = "pregnancy",
        serialize = "妊娠",
        serialize = "妊婦",
        message = "妊娠中"
    )]
    Pregnancy,
    #[strum(to_string = "age0", serialize = "乳児", message = "0歳")]
    Age0,
    #[strum(to_string = "age1_to2", serialize = "1-2歳", message = "1〜2歳")]
    Age1To2,
    #[strum(
        to_string = "age3_to5",
        serialize = "未就学",
        serialize = "就学前",
        serialize = "3-5歳",
        message = "3〜5歳"
    )]
    Age3To5,
    #[strum(message = "小学生")]
    Elementary,
    #[strum(to_string = "secondary", serialize = "中高生", message = "中学生以上")]
    Secondary,
}

crate::vocabulary_deserialize!(AgeBand);

impl AgeBand {
    /// The band of a child `months` old (the search page's age filter). By months, not by school
    /// year: 6 years (72 months) is where most children start school.
    pub fn of_age_in_months(months: u32) -> Self {
        match months {
            0..12 => Self::Age0,
            12..36 => Self::Age1To2,
            36..72 => Self::Age3To5,
            72..144 => Self::Elementary,
            _ => Self::Secondary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Vocabulary, serde_names_agree};

    #[test]
    fn bands_keep_their_ids_and_read_everyday_words() {
        let ids: Vec<&str> = <AgeBand as strum::VariantArray>::VARIANTS
            .iter()
            .map(|band| band.id())
            .collect();
        assert_eq!(
            ids,
            [
                "pregnancy",
                "age0",
                "age1_to2",
                "age3_to5",
                "elementary",
                "secondary"
            ]
        );
        serde_names_agree::<AgeBand>().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(AgeBand::parse("就学前"), Some(AgeBand::Age3To5));
        assert_eq!(AgeBand::parse("0歳"), Some(AgeBand::Age0));
    }

    #[test]
    fn months_fall_in_one_band_each() {
        assert_eq!(AgeBand::of_age_in_months(0), AgeBand::Age0);
        assert_eq!(AgeBand::of_age_in_months(11), AgeBand::Age0);
        assert_eq!(AgeBand::of_age_in_months(12), AgeBand::Age1To2);
        assert_eq!(AgeBand::of_age_in_months(35), AgeBand::Age1To2);
        assert_eq!(AgeBand::of_age_in_months(36), AgeBand::Age3To5);
        assert_eq!(AgeBand::of_age_in_months(72), AgeBand::Elementary);
        assert_eq!(AgeBand::of_age_in_months(144), AgeBand::Secondary);
        assert_eq!(AgeBand::of_age_in_months(u32::MAX), AgeBand::Secondary);
    }
}
