//! The personal-data check on a set of Japanese examples (tests/personal-data-examples.json):
//! each personal example must yield its kinds, the clean texts nothing; precision and recall
//! per kind are printed. And on arbitrary strings: never a panic, always sorted,
//! non-overlapping ranges on character boundaries.

use std::collections::{BTreeMap, BTreeSet};

use kosodate_community::personal_data::{PersonalDataKind, detect, mask};
use kosodate_domain::Vocabulary;
use proptest::prelude::*;

#[derive(Debug, serde::Deserialize)]
struct Examples {
    personal: Vec<PersonalExample>,
    clean: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct PersonalExample {
    text: String,
    kinds: BTreeSet<PersonalDataKind>,
}

fn examples() -> Examples {
    serde_json::from_str(include_str!("personal-data-examples.json")).expect("examples are valid JSON")
}

fn kinds_found(text: &str) -> BTreeSet<PersonalDataKind> {
    detect(text).into_iter().map(|finding| finding.kind).collect()
}

#[derive(Debug, Default)]
struct Tally {
    found: usize,
    missed: usize,
    wrong: usize,
}

#[test]
fn the_examples_are_caught_and_the_clean_texts_left_alone() {
    let examples = examples();
    let mut tallies: BTreeMap<PersonalDataKind, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for example in &examples.personal {
        let found = kinds_found(&example.text);
        for kind in example.kinds.union(&found) {
            let tally = tallies.entry(*kind).or_default();
            match (example.kinds.contains(kind), found.contains(kind)) {
                (true, true) => tally.found += 1,
                (true, false) => tally.missed += 1,
                _ => tally.wrong += 1,
            }
        }
        if found != example.kinds {
            failures.push(format!(
                "{:?}: expected {:?}, found {found:?}",
                example.text, example.kinds
            ));
        }
    }
    for text in &examples.clean {
        let found = kinds_found(text);
        for kind in &found {
            tallies.entry(*kind).or_default().wrong += 1;
        }
        if !found.is_empty() {
            failures.push(format!("{text:?}: expected nothing, found {found:?}"));
        }
    }
    print!("{}", figures(&tallies, &examples));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn figures(tallies: &BTreeMap<PersonalDataKind, Tally>, examples: &Examples) -> String {
    let mut figures = format!(
        "{} personal examples, {} clean texts\n{:<20} {:>9} {:>7}\n",
        examples.personal.len(),
        examples.clean.len(),
        "kind",
        "precision",
        "recall"
    );
    for (kind, tally) in tallies {
        let precision = ratio(tally.found, tally.found + tally.wrong);
        let recall = ratio(tally.found, tally.found + tally.missed);
        figures.push_str(&format!("{:<20} {precision:>9.3} {recall:>7.3}\n", kind.id()));
    }
    figures
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 1.0;
    }
    part as f64 / whole as f64
}

#[test]
fn masking_replaces_only_what_was_found() {
    for example in examples().personal {
        let findings = detect(&example.text);
        let masked = mask(&example.text, &findings);
        let mut rest = example.text.as_str();
        let mut masked_rest = masked.as_str();
        for finding in &findings {
            let kept = &example.text[..finding.range.start];
            let kept = &kept[example.text.len() - rest.len()..];
            assert!(masked_rest.starts_with(kept), "{masked}");
            let label = format!("［{}］", finding.kind.label_ja());
            masked_rest = &masked_rest[kept.len()..];
            assert!(masked_rest.starts_with(&label), "{masked}");
            masked_rest = &masked_rest[label.len()..];
            rest = &example.text[finding.range.end..];
        }
        assert_eq!(masked_rest, rest, "{masked}");
        assert!(
            detect(&masked).is_empty(),
            "masked text still has personal data: {masked}"
        );
    }
}

fn assert_well_formed(text: &str) -> Result<(), TestCaseError> {
    let findings = detect(text);
    for finding in &findings {
        prop_assert!(finding.range.start < finding.range.end, "{findings:?}");
        prop_assert!(text.is_char_boundary(finding.range.start), "{findings:?}");
        prop_assert!(text.is_char_boundary(finding.range.end), "{findings:?}");
        prop_assert!(finding.range.end <= text.len(), "{findings:?}");
    }
    for pair in findings.windows(2) {
        prop_assert!(pair[0].range.end <= pair[1].range.start, "{findings:?}");
    }
    let _ = mask(text, &findings);
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_string_gives_sorted_disjoint_ranges_on_char_boundaries(text in any::<String>()) {
        assert_well_formed(&text)?;
    }

    /// Arbitrary strings rarely look like addresses or numbers: these are built from the
    /// characters the detectors look at, with the marks and half-width kana NFKC joins.
    #[test]
    fn strings_of_japanese_digits_and_marks_too(
        text in "[0-9０-９〇一二三四五六七八九十丁目番地号市町村郡字@＠.:：()（）〒 ー－―‐ｶﾞﾊﾟ\u{3099}\u{309A}\u{301}a-zさんくん様の私はと申します山田花子佐藤息子長女名前氏]{0,60}"
    ) {
        assert_well_formed(&text)?;
    }
}
