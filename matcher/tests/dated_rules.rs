//! How staff write a rule that changes on dates and a month-end bound, what is stored, what is
//! refused (at which pointer, in which words) and what parents read.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::NaiveDate;
use kosodate_domain::MunicipalityCode;
use kosodate_matcher::{
    Application, Area, Child, ChildRule, Eligibility, EligibilityDocument, Household, IncomeBand,
    PlainCondition, PreparedHousehold, ProgramRule, Rule, RuleError, Truth, Window,
};
use serde_json::{Value, json};

fn errors(document: &Value) -> Vec<RuleError> {
    EligibilityDocument::parse(document).unwrap_err().0
}

fn pointers_and_messages(document: &Value) -> Vec<(String, String)> {
    errors(document)
        .into_iter()
        .map(|error| (error.pointer, error.message_ja))
        .collect()
}

fn reform() -> Value {
    json!({"version": 1, "rule": {"by_period": [
        {"until": "令和6年9月30日", "rule": {"all": [
            {"some_child": {"until_march_31_after_age": 15}},
            {"income_band": {"lte": "年収約910万円以下"}}
        ]}},
        {"from": "2024年10月1日", "rule": {"some_child": {"until_march_31_after_age": 18}}}
    ]}})
}

#[test]
fn dates_in_the_era_are_stored_as_iso_dates() {
    let stored = EligibilityDocument::parse(&reform()).unwrap().to_value();
    assert_eq!(
        stored,
        json!({"version": 1, "rule": {"by_period": [
            {"until": "2024-09-30", "rule": {"all": [
                {"some_child": {"until_march_31_after_age": 15}},
                {"income_band": {"lte": "up_to_910"}}
            ]}},
            {"from": "2024-10-01", "rule": {"some_child": {"until_march_31_after_age": 18}}}
        ]}})
    );
    assert_eq!(EligibilityDocument::parse(&stored).unwrap().to_value(), stored);
}

#[test]
fn month_end_bounds_are_stored_as_written() {
    let document = json!({"version": 1, "rule": {"some_child": {"any": [
        {"until_end_of_month_of_age": 3},
        {"from_month_after_age": 6}
    ]}}});
    assert_eq!(
        EligibilityDocument::parse(&document).unwrap().to_value(),
        document
    );
    assert_eq!(
        pointers_and_messages(
            &json!({"version": 1, "rule": {"some_child": {"until_end_of_month_of_age": 0}}})
        ),
        [(
            "/rule/some_child/until_end_of_month_of_age".to_owned(),
            "1から30までの整数を指定してください".to_owned()
        )]
    );
    assert_eq!(
        pointers_and_messages(&json!({"version": 1, "rule": {"from_month_after_age": 3}})),
        [(
            "/rule/from_month_after_age".to_owned(),
            "「from_month_after_age」は子どもの条件です。some_child・every_child・count_children の中に書いてください".to_owned()
        )]
    );
}

#[test]
fn a_month_end_bound_that_contradicts_an_age_is_refused() {
    // Until the end of the month of the third birthday, yet 37 months old or more.
    let never = json!({"version": 1, "rule": {"some_child": {"all": [
        {"until_end_of_month_of_age": 3},
        {"age": {"unit": "months", "gte": 37}}
    ]}}});
    assert_eq!(errors(&never)[0].pointer, "/rule/some_child");
    // 36 months old on the last day of the month is possible (born on the 2nd, say).
    let edge = json!({"version": 1, "rule": {"some_child": {"all": [
        {"until_end_of_month_of_age": 3},
        {"age": {"unit": "months", "gte": 36}}
    ]}}});
    assert!(EligibilityDocument::parse(&edge).is_ok());
    let before_and_after = json!({"version": 1, "rule": {"some_child": {"all": [
        {"from_month_after_age": 3},
        {"age": {"unit": "years", "lt": 3}}
    ]}}});
    assert_eq!(errors(&before_and_after)[0].pointer, "/rule/some_child");
}

#[test]
fn periods_must_follow_each_other() {
    let gap = json!({"version": 1, "rule": {"by_period": [
        {"until": "2024-09-29", "rule": {"single_parent": true}},
        {"from": "2024-10-01", "rule": {"single_parent": false}}
    ]}});
    assert_eq!(
        pointers_and_messages(&gap),
        [(
            "/rule/by_period/1/from".to_owned(),
            "前の期間との間が空いています。前の期間は令和6年9月29日（2024年9月29日）までなので、令和6年9月30日（2024年9月30日）から始めてください（対象者がいない期間は \"rule\": null と書きます）".to_owned()
        )]
    );
    let overlap = json!({"version": 1, "rule": {"by_period": [
        {"until": "2024-10-01", "rule": {"single_parent": true}},
        {"from": "2024-10-01", "rule": {"single_parent": false}}
    ]}});
    let overlap = errors(&overlap);
    assert_eq!(overlap.len(), 1);
    assert_eq!(overlap[0].pointer, "/rule/by_period/1/from");
    assert!(
        overlap[0].message_ja.starts_with("前の期間と重なっています"),
        "{overlap:?}"
    );
    assert!(
        overlap[0].message_en.contains("start it on 2024-10-02"),
        "{overlap:?}"
    );
}

#[test]
fn every_period_says_where_it_starts_and_ends() {
    let missing = json!({"version": 1, "rule": {"by_period": [
        {"rule": {"single_parent": true}},
        {"until": "2025-03-31", "rule": {"single_parent": false}},
        {"from": "2025-04-01", "until": "2025-03-01", "rule": null},
        {"from": "2026-04-01"}
    ]}});
    assert_eq!(
        pointers_and_messages(&missing),
        [
            (
                "/rule/by_period/2/until".to_owned(),
                "期間の終わり（until）が始まり（from）より前です".to_owned()
            ),
            (
                "/rule/by_period/3".to_owned(),
                "期間には rule（条件。対象者がいない期間は null）を書いてください".to_owned()
            ),
        ]
    );
    let no_from = json!({"version": 1, "rule": {"by_period": [
        {"until": "2025-03-31", "rule": {"single_parent": true}},
        {"rule": {"single_parent": false}}
    ]}});
    assert_eq!(
        pointers_and_messages(&no_from),
        [(
            "/rule/by_period/1".to_owned(),
            "2番目以降の期間には from（開始日）を書いてください".to_owned()
        )]
    );
    let alone = json!({"version": 1, "rule": {"by_period": [{"rule": {"single_parent": true}}]}});
    assert_eq!(errors(&alone)[0].pointer, "/rule/by_period/0");
    assert_eq!(
        pointers_and_messages(&json!({"version": 1, "rule": {"by_period": []}})),
        [("/rule/by_period".to_owned(), "条件のリストが空です".to_owned())]
    );
}

#[test]
fn a_wrong_date_is_reported_at_the_date() {
    let document = json!({"version": 1, "rule": {"by_period": [
        {"until": "平成31年5月1日", "rule": {"single_parent": true}},
        {"from": 20240501, "rule": {"single_parent": false}, "note": "x"},
        {"from": "1899-12-31", "rule": null}
    ]}});
    assert_eq!(
        pointers_and_messages(&document),
        [
            (
                "/rule/by_period/0/until".to_owned(),
                "「平成31年5月1日」は平成の期間外です（平成は1989年1月8日から2019年4月30日まで）".to_owned()
            ),
            (
                "/rule/by_period/1/note".to_owned(),
                "期間に不明な項目「note」があります（from・until・rule が使えます）".to_owned()
            ),
            (
                "/rule/by_period/1/from".to_owned(),
                "日付を 2024-10-01 や 令和6年10月1日 のように文字列で指定してください".to_owned()
            ),
            (
                "/rule/by_period/2/from".to_owned(),
                "日付は1900年1月1日から2200年12月31日までで入力してください".to_owned()
            ),
        ]
    );
}

#[test]
fn a_contradiction_inside_a_period_is_reported_in_it() {
    let document = json!({"version": 1, "rule": {"by_period": [
        {"until": "2024-09-30", "rule": {"single_parent": true}},
        {"from": "2024-10-01", "rule": {"all": [{"single_parent": true}, {"single_parent": false}]}}
    ]}});
    assert_eq!(errors(&document)[0].pointer, "/rule/by_period/1/rule");
    let nobody = json!({"version": 1, "rule": {"by_period": [
        {"until": "2024-09-30", "rule": null},
        {"from": "2024-10-01", "rule": null}
    ]}});
    assert_eq!(errors(&nobody)[0].pointer, "/rule");
}

fn plain(document: &Value) -> PlainCondition {
    EligibilityDocument::parse(document)
        .unwrap()
        .into_rule()
        .unwrap()
        .plain_japanese()
}

fn period_sentences(plain: &PlainCondition) -> Vec<&str> {
    plain.parts.iter().map(|part| part.sentence.as_str()).collect()
}

#[test]
fn parents_read_each_period_with_its_dates() {
    let sentences = plain(&reform());
    assert_eq!(sentences.sentence, "対象となる方は、時期によって次のとおりです");
    assert_eq!(
        period_sentences(&sentences),
        [
            "令和6年9月30日（2024年9月30日）まで：次のすべてにあてはまる方",
            "令和6年10月1日（2024年10月1日）から：18歳到達後最初の3月31日までのお子さんがいる方",
        ]
    );
    assert_eq!(
        sentences.parts[0].parts[0].sentence,
        "15歳到達後最初の3月31日までのお子さんがいる方"
    );
    let suspended = plain(&json!({"version": 1, "rule": {"by_period": [
        {"from": "2025-04-01", "until": "2026-03-31", "rule": null},
        {"from": "2026-04-01", "rule": {"some_child": {"until_end_of_month_of_age": 3}}}
    ]}}));
    assert_eq!(
        period_sentences(&suspended),
        [
            "令和7年4月1日（2025年4月1日）から令和8年3月31日（2026年3月31日）まで：対象となる方はいません",
            "令和8年4月1日（2026年4月1日）から：3歳に達する日の属する月の末日までのお子さんがいる方",
        ]
    );
    assert_eq!(
        plain(&json!({"version": 1, "rule": {"some_child": {"from_month_after_age": 1}}})).sentence,
        "1歳に達する日の属する月の翌月以降のお子さんがいる方"
    );
}

fn one_child(birth: &str, income_band: Option<IncomeBand>) -> Household {
    Household {
        municipality: MunicipalityCode::parse("02201").unwrap(),
        children: vec![Child::born(day(birth))],
        single_parent: None,
        income_band,
    }
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// The table of month-end bounds in docs/rules.md.
#[test]
fn the_month_end_table_of_the_rules_page_holds() {
    let until = Rule::SomeChild(ChildRule::UntilEndOfMonthOfAge(3));
    let from = Rule::SomeChild(ChildRule::FromMonthAfterAge(3));
    for (birth, last, first) in [
        ("2023-06-15", "2026-06-30", "2026-07-01"),
        ("2023-03-02", "2026-03-31", "2026-04-01"),
        ("2023-04-01", "2026-03-31", "2026-04-01"),
        ("2023-05-01", "2026-04-30", "2026-05-01"),
        ("2024-02-29", "2027-02-28", "2027-03-01"),
        ("2023-12-31", "2026-12-31", "2027-01-01"),
        ("2024-01-01", "2026-12-31", "2027-01-01"),
    ] {
        let household = one_child(birth, None);
        let prepared = PreparedHousehold::new(&household);
        assert_eq!(until.evaluate(&prepared, day(last)).truth, Truth::True, "{birth}");
        assert_eq!(
            until.evaluate(&prepared, day(first)).truth,
            Truth::False,
            "{birth}"
        );
        assert_eq!(from.evaluate(&prepared, day(last)).truth, Truth::False, "{birth}");
        assert_eq!(from.evaluate(&prepared, day(first)).truth, Truth::True, "{birth}");
        assert_eq!(
            until.evaluate(&prepared, day(birth)).next_change,
            Some(day(first))
        );
    }
}

/// The table of the 児童手当 reform in docs/rules.md.
#[test]
fn the_reform_table_of_the_rules_page_holds() {
    let rule = EligibilityDocument::parse(&reform())
        .unwrap()
        .into_rule()
        .unwrap();
    let program = ProgramRule {
        area: Area::National,
        rule: rule.clone(),
        application: Application::Always,
    };
    let window = |from: &str, until: Option<&str>, eligibility| Window {
        from: day(from),
        until: until.map(day),
        eligibility,
    };
    for (household, before, after, windows) in [
        (
            one_child("2008-05-10", Some(IncomeBand::UpTo640)),
            Truth::False,
            Truth::True,
            vec![window("2024-10-01", Some("2027-03-31"), Eligibility::Eligible)],
        ),
        (
            one_child("2015-05-10", Some(IncomeBand::Over910)),
            Truth::False,
            Truth::True,
            vec![window("2024-10-01", Some("2034-03-31"), Eligibility::Eligible)],
        ),
        (
            one_child("2015-05-10", None),
            Truth::Unknown,
            Truth::True,
            vec![
                window("2024-04-01", Some("2024-09-30"), Eligibility::Unknown),
                window("2024-10-01", Some("2034-03-31"), Eligibility::Eligible),
            ],
        ),
    ] {
        let prepared = PreparedHousehold::new(&household);
        assert_eq!(rule.evaluate(&prepared, day("2024-09-30")).truth, before);
        assert_eq!(rule.evaluate(&prepared, day("2024-10-01")).truth, after);
        let assessment = program.assess_with_ends(&prepared, day("2024-04-01"), 365);
        assert_eq!(assessment.windows, windows, "{household:?}");
    }
}

/// Everyday wording a clerk types is read as the canonical rule and stored as it.
#[test]
fn everyday_wording_is_stored_canonically() {
    for (written, stored) in [
        (
            json!({"some_child": {"age": {"gte": "6か月", "lt": "3歳"}}}),
            json!({"some_child": {"age": {"unit": "months", "gte": 6, "lt": 36}}}),
        ),
        (
            json!({"some_child": {"age": {"lt": "3歳"}}}),
            json!({"some_child": {"age": {"unit": "years", "lt": 3}}}),
        ),
        (
            json!({"some_child": {"age": {"gte": "満1歳6か月", "lt": "2歳"}}}),
            json!({"some_child": {"age": {"unit": "months", "gte": 18, "lt": 24}}}),
        ),
        (
            json!({"some_child": {"age": {"unit": "か月", "gte": "1歳", "lt": 24}}}),
            json!({"some_child": {"age": {"unit": "months", "gte": 12, "lt": 24}}}),
        ),
        (
            json!({"some_child": {"age": {"lte": "生後28日"}}}),
            json!({"some_child": {"age": {"unit": "days", "lte": 28}}}),
        ),
        (
            json!({"some_child": {"school_stage": "就学前"}}),
            json!({"some_child": {"school_stage": "preschool"}}),
        ),
        (
            json!({"some_child": {"school_grade": {"gte": "小学1年生", "lte": "中学3年"}}}),
            json!({"some_child": {"school_grade": {"gte": "小1", "lte": "中3"}}}),
        ),
        (
            json!({"income_band": {"lte": "年収約360万円以下"}}),
            json!({"income_band": {"lte": "up_to_360"}}),
        ),
    ] {
        let document = EligibilityDocument::parse(&json!({"version": 1, "rule": written}))
            .unwrap_or_else(|errors| panic!("{written}: {errors}"));
        assert_eq!(document.to_value()["rule"], stored, "{written}");
    }
}

#[test]
fn ages_in_words_that_do_not_fit_are_refused_at_the_bound() {
    assert_eq!(
        pointers_and_messages(
            &json!({"version": 1, "rule": {"some_child": {"age": {"gte": "6か月", "lt": "10日"}}}})
        ),
        [(
            "/rule/some_child/age/gte".to_owned(),
            "「6か月」はもう一方の範囲と同じ単位で数えられません（か月と日は混ぜられません）".to_owned()
        )]
    );
    assert_eq!(
        pointers_and_messages(
            &json!({"version": 1, "rule": {"some_child": {"age": {"unit": "years", "lt": "1歳6か月"}}}})
        ),
        [(
            "/rule/some_child/age/lt".to_owned(),
            "「1歳6か月」はもう一方の範囲と同じ単位で数えられません（か月と日は混ぜられません）".to_owned()
        )]
    );
    assert_eq!(
        pointers_and_messages(&json!({"version": 1, "rule": {"some_child": {"age": {"lt": "三歳"}}}})),
        [(
            "/rule/some_child/age/lt".to_owned(),
            "「三歳」は年齢として読めません。数か、3歳・6か月・1歳6か月・10日 のように書いてください"
                .to_owned()
        )]
    );
    assert_eq!(
        errors(&json!({"version": 1, "rule": {"some_child": {"school_grade": {"gte": "小学7年"}}}}))[0]
            .pointer,
        "/rule/some_child/school_grade/gte"
    );
}
