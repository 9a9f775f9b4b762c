//! Personal data caught before a post is published: phone numbers, email addresses, postal
//! addresses, 12-digit numbers (マイナンバー), URLs to personal pages and names in the obvious
//! forms. The text is matched in a normalised view (full width to half width, every kind of
//! hyphen to `-`, kanji numerals read as digits where numbers are expected) while every finding
//! is reported as a byte range of the original text, so that masking keeps the rest of the post
//! byte for byte.
//!
//! What was found is never logged nor kept: only its kind and where it is, which the poster sees
//! next to their own text. Detection leans towards masking: a masked word in a question costs
//! little, a phone number on a public page cannot be taken back.

mod address;
mod contacts;
mod names;
mod numbers;
mod spoken;
mod view;

use std::ops::Range;

use serde::Serialize;

use view::View;

/// What the detectors collect: kinds and byte ranges of the normalised view.
type Detections = Vec<(PersonalDataKind, Range<usize>)>;

/// What a finding is, as the poster is told and as the masked text says it.
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
pub enum PersonalDataKind {
    #[strum(message = "電話番号")]
    PhoneNumber,
    #[strum(message = "メールアドレス")]
    EmailAddress,
    #[strum(message = "住所")]
    PostalAddress,
    /// Twelve digits, as the My Number is; longer runs (card and account numbers) too.
    #[strum(message = "12桁の番号")]
    IndividualNumber,
    /// A URL that is not an official public site, or an account on a social network.
    #[strum(message = "個人のページのURL")]
    PersonalUrl,
    #[strum(message = "氏名")]
    PersonName,
}

kosodate_domain::vocabulary_deserialize!(PersonalDataKind);

/// One piece of personal data: its kind and where it is. Deliberately without the text itself,
/// so that nothing downstream can log it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    pub kind: PersonalDataKind,
    /// Byte range in the original text, on character boundaries.
    pub range: Range<usize>,
}

/// The personal data in `text`, sorted by start and never overlapping: where two detections
/// overlap, the finding covers both (with the kind of the one that starts first), so that
/// masking never leaves half a phone number behind.
pub fn detect(text: &str) -> Vec<Finding> {
    let view = View::new(text);
    let mut found: Detections = Vec::new();
    numbers::detect(&view, &mut found);
    spoken::detect(&view, &mut found);
    contacts::detect(&view, &mut found);
    address::detect(&view, &mut found);
    names::detect(&view, &mut found);
    let mut findings: Vec<Finding> = found
        .into_iter()
        .filter(|(_, range)| !range.is_empty())
        .map(|(kind, range)| Finding {
            kind,
            range: view.original(range),
        })
        .collect();
    findings.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
    });
    merge_overlapping(findings)
}

/// What one detector finds in `text`, as (kind, original text) pairs: for the detectors' tests.
#[cfg(test)]
fn found_by(detector: fn(&View, &mut Detections), text: &str) -> Vec<(PersonalDataKind, String)> {
    let view = View::new(text);
    let mut found = Vec::new();
    detector(&view, &mut found);
    found
        .into_iter()
        .map(|(kind, range)| (kind, text[view.original(range)].to_owned()))
        .collect()
}

fn merge_overlapping(sorted: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::with_capacity(sorted.len());
    for finding in sorted {
        match merged.last_mut() {
            Some(last) if finding.range.start < last.range.end => {
                last.range.end = last.range.end.max(finding.range.end);
            }
            _ => merged.push(finding),
        }
    }
    merged
}

/// `text` with each finding replaced by its label in brackets (「［電話番号］」); everything else
/// is kept byte for byte. Findings must be sorted and not overlap, as [`detect`] returns them;
/// any that do not fit (out of order, out of bounds, not on character boundaries) are masked
/// together with their neighbour rather than skipped, or ignored when they lie outside the text.
pub fn mask(text: &str, findings: &[Finding]) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut kept_until = 0;
    for finding in findings {
        let start = floor_char_boundary(text, finding.range.start.max(kept_until));
        let end = ceil_char_boundary(text, finding.range.end);
        if end <= start {
            continue;
        }
        masked.push_str(&text[kept_until..start]);
        masked.push('［');
        masked.push_str(kosodate_domain::Vocabulary::label_ja(finding.kind));
        masked.push('］');
        kept_until = end;
    }
    masked.push_str(&text[kept_until..]);
    masked
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use kosodate_domain::{Vocabulary, serde_names_agree};

    #[test]
    fn kinds_keep_their_ids_and_labels() {
        let ids: Vec<&str> = <PersonalDataKind as strum::VariantArray>::VARIANTS
            .iter()
            .map(|kind| kind.id())
            .collect();
        assert_eq!(
            ids,
            [
                "phone_number",
                "email_address",
                "postal_address",
                "individual_number",
                "personal_url",
                "person_name"
            ]
        );
        assert_eq!(PersonalDataKind::IndividualNumber.label_ja(), "12桁の番号");
        assert_eq!(serde_names_agree::<PersonalDataKind>(), Ok(()));
    }

    #[test]
    fn masking_keeps_the_rest_byte_for_byte() {
        let text = "夜泣きで困っています。０９０－１２３４－５６７８に連絡ください🙏\r\n  よろしく";
        let findings = detect(text);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let masked = mask(text, &findings);
        assert_eq!(
            masked,
            "夜泣きで困っています。［電話番号］に連絡ください🙏\r\n  よろしく"
        );
    }

    #[test]
    fn overlapping_detections_become_one_finding() {
        let findings = vec![
            Finding {
                kind: PersonalDataKind::PostalAddress,
                range: 0..6,
            },
            Finding {
                kind: PersonalDataKind::PhoneNumber,
                range: 3..9,
            },
            Finding {
                kind: PersonalDataKind::PersonName,
                range: 9..12,
            },
        ];
        let merged = merge_overlapping(findings);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].range, 0..9);
        assert_eq!(merged[0].kind, PersonalDataKind::PostalAddress);
    }

    #[test]
    fn masking_tolerates_findings_that_do_not_fit() {
        let text = "あいう";
        let odd = [
            Finding {
                kind: PersonalDataKind::PersonName,
                range: 1..4,
            },
            Finding {
                kind: PersonalDataKind::PersonName,
                range: 2..3,
            },
            Finding {
                kind: PersonalDataKind::PersonName,
                range: 20..30,
            },
        ];
        assert_eq!(mask(text, &odd), "［氏名］う");
        assert_eq!(mask(text, &[]), text);
    }
}
