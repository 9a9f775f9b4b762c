//! The content every family meets, over the synthetic population, on both databases: one
//! household in each of the 40 municipalities, its children at various 月齢 (one unborn),
//! consenting to matching and to email with a verified address, hears of its vaccinations and
//! check-ups by 月齢 through the notices the matcher and the planner make, first at once and
//! then as its children grow. And program types through the API: a type on each program, the
//! catalogue, filters in lists and search, and the municipalities that lack a common type.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
#![allow(clippy::print_stdout)] // the counts of notices per profile and kind are reported

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, Months, NaiveDate};
use kosodate_domain::{EmailAddress, MunicipalityCode, japan};
use kosodate_households::{ConsentPurpose, HouseholdId, HouseholdInput, Households, Registration};
use kosodate_matching::synthetic::POPULATION;
use kosodate_matching::{MatchPolicy, MatchRunner};
use kosodate_planner::NoticePlanner;
use kosodate_registry::{ProgramOwner, Registry, StaffIdentity, program_types};
use kosodate_tests::{ADMIN_TOKEN, AOMORI_CITY_TOKEN, Backend, TestApp, both_backends, call, spawn_app_with};
use serde_json::{Value, json};

both_backends!(
    every_municipality_hears_of_its_vaccinations_and_checkups_by_age,
    program_types_group_programs_and_show_what_a_municipality_lacks
);

const HEPATITIS_B: &str = "B型肝炎ワクチン（定期予防接種）";
const ROTA_1: &str = "ロタウイルスワクチン（1価・2回接種）";
const ROTA_5: &str = "ロタウイルスワクチン（5価・3回接種）";
const PNEUMOCOCCAL: &str = "小児用肺炎球菌ワクチン（定期予防接種）";
const FIVE_IN_ONE: &str = "五種混合ワクチン（DPT-IPV-Hib・定期予防接種）";
const BCG: &str = "BCGワクチン（定期予防接種）";
const MR_1: &str = "麻しん風しん混合（MR）ワクチン 第1期";
const MR_2: &str = "麻しん風しん混合（MR）ワクチン 第2期";
const VARICELLA: &str = "水痘（水ぼうそう）ワクチン（定期予防接種）";
const ENCEPHALITIS_1: &str = "日本脳炎ワクチン 第1期";
const ENCEPHALITIS_2: &str = "日本脳炎ワクチン 第2期";
const DT: &str = "二種混合（DT）ワクチン 第2期";
const HPV: &str = "HPVワクチン（子宮頸がん予防・定期予防接種）";
const PRENATAL: &str = "妊婦健康診査（14回の公費負担）";
const HANDBOOK: &str = "母子健康手帳の交付（妊娠の届出）";
const BIRTH_REGISTRATION: &str = "出生届";
const HOME_VISIT: &str = "新生児訪問・乳児家庭全戸訪問";
const CHECKUP_1_MONTH: &str = "1か月児健康診査";
const CHECKUP_3_4_MONTHS: &str = "3〜4か月児健康診査";
const CHECKUP_18_MONTHS: &str = "1歳6か月児健康診査";
const CHECKUP_3_YEARS: &str = "3歳児健康診査";
const SCHOOL_CHECKUP: &str = "就学時健康診断";

/// Every program of the statutory content, and the two check-ups the examples already had.
const ROUTINE: &[&str] = &[
    HEPATITIS_B,
    ROTA_1,
    ROTA_5,
    PNEUMOCOCCAL,
    FIVE_IN_ONE,
    BCG,
    MR_1,
    MR_2,
    VARICELLA,
    ENCEPHALITIS_1,
    ENCEPHALITIS_2,
    DT,
    HPV,
    PRENATAL,
    HANDBOOK,
    BIRTH_REGISTRATION,
    HOME_VISIT,
    CHECKUP_1_MONTH,
    CHECKUP_3_4_MONTHS,
    CHECKUP_18_MONTHS,
    CHECKUP_3_YEARS,
    SCHOOL_CHECKUP,
];

/// A child of the synthetic households: how to date it from today, and what its first notice
/// must name (worked out from the schedule, not from the engine).
struct Profile {
    label: &'static str,
    child: fn(NaiveDate) -> Value,
    expected_now: &'static [&'static str],
}

fn born(date: NaiveDate) -> Value {
    json!({"birth_date": date})
}

fn days_old(today: NaiveDate, days: u64) -> Value {
    born(today - Days::new(days))
}

/// Ten days past `months` months: clear of both ends of any window counted in months.
fn months_old(today: NaiveDate, months: u32) -> Value {
    born(today.checked_sub_months(Months::new(months)).unwrap() - Days::new(10))
}

/// Born on 1 October in the cohort of `grade` (0 = 年長, 1 = 小1, 10 = 高1) this 年度: the
/// children of grade g this 年度 are born from 2 April of (年度 − 6 − g) to 1 April a year later.
fn in_grade(today: NaiveDate, grade: i32) -> Value {
    let school_year = if today.month() >= 4 {
        today.year()
    } else {
        today.year() - 1
    };
    born(NaiveDate::from_ymd_opt(school_year - 6 - grade, 10, 1).unwrap())
}

const PROFILES: &[Profile] = &[
    Profile {
        label: "妊娠中（出産予定 3か月後）",
        child: |today| json!({"due_date": today + Days::new(90)}),
        expected_now: &[PRENATAL, HANDBOOK],
    },
    Profile {
        label: "生後5日",
        child: |today| days_old(today, 5),
        expected_now: &[BIRTH_REGISTRATION, HOME_VISIT, HEPATITIS_B, BCG],
    },
    Profile {
        label: "生後35日",
        child: |today| days_old(today, 35),
        expected_now: &[CHECKUP_1_MONTH, HOME_VISIT, HEPATITIS_B, BCG],
    },
    Profile {
        label: "生後2か月",
        child: |today| months_old(today, 2),
        expected_now: &[
            HEPATITIS_B,
            ROTA_1,
            ROTA_5,
            PNEUMOCOCCAL,
            FIVE_IN_ONE,
            BCG,
            HOME_VISIT,
        ],
    },
    Profile {
        label: "生後3か月",
        child: |today| months_old(today, 3),
        expected_now: &[
            CHECKUP_3_4_MONTHS,
            HEPATITIS_B,
            ROTA_1,
            ROTA_5,
            PNEUMOCOCCAL,
            FIVE_IN_ONE,
            BCG,
            HOME_VISIT,
        ],
    },
    Profile {
        label: "生後6か月",
        child: |today| months_old(today, 6),
        expected_now: &[
            HEPATITIS_B,
            ROTA_5,
            PNEUMOCOCCAL,
            FIVE_IN_ONE,
            BCG,
            ENCEPHALITIS_1,
        ],
    },
    Profile {
        label: "1歳2か月",
        child: |today| months_old(today, 14),
        expected_now: &[MR_1, VARICELLA, PNEUMOCOCCAL, FIVE_IN_ONE, ENCEPHALITIS_1],
    },
    Profile {
        label: "1歳7か月",
        child: |today| months_old(today, 19),
        expected_now: &[
            CHECKUP_18_MONTHS,
            MR_1,
            VARICELLA,
            PNEUMOCOCCAL,
            FIVE_IN_ONE,
            ENCEPHALITIS_1,
        ],
    },
    Profile {
        label: "3歳3か月",
        child: |today| months_old(today, 39),
        expected_now: &[CHECKUP_3_YEARS, PNEUMOCOCCAL, FIVE_IN_ONE, ENCEPHALITIS_1],
    },
    Profile {
        label: "年長",
        child: |today| in_grade(today, 0),
        expected_now: &[MR_2, SCHOOL_CHECKUP],
    },
    Profile {
        label: "10歳",
        child: |today| months_old(today, 120),
        expected_now: &[ENCEPHALITIS_2],
    },
    Profile {
        label: "11歳6か月",
        child: |today| months_old(today, 138),
        expected_now: &[DT],
    },
    Profile {
        label: "高1",
        child: |today| in_grade(today, 10),
        expected_now: &[HPV],
    },
];

/// Which profiles household `index` has: three different ones, every profile in about nine of
/// the forty households.
fn profiles_of(index: usize) -> [usize; 3] {
    let count = PROFILES.len();
    [index % count, (index + 4) % count, (index + 8) % count]
}

async fn app_with_examples(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.load_examples = Some(true);
        settings.notices.worker_in_server = false;
    })
    .await
}

/// One household per municipality, registered at the counter with consent to matching and to
/// email, and a verified address.
async fn synthetic_households(app: &TestApp, today: NaiveDate) -> Vec<(HouseholdId, usize)> {
    let households = Households::new(app.db.clone());
    let mut registered = Vec::new();
    for (index, (code, _)) in POPULATION.iter().enumerate() {
        let children: Vec<Value> = profiles_of(index)
            .iter()
            .enumerate()
            .map(|(number, profile)| {
                let mut child = (PROFILES[*profile].child)(today);
                child["nickname"] = json!(format!("子{}", number + 1));
                child
            })
            .collect();
        let input: HouseholdInput = serde_json::from_value(json!({
            "municipality_code": code,
            "children": children,
        }))
        .unwrap();
        let valid = input.validate(today).unwrap();
        let registration = Registration::Counter {
            staff: "窓口".into(),
            consents: vec![ConsentPurpose::Matching, ConsentPurpose::NoticeEmail],
        };
        let id = households.register(&valid, &registration).await.unwrap();
        let address = EmailAddress::parse(&format!("parent{index}@example.jp")).unwrap();
        let (_, token) = households.add_email(id, &address).await.unwrap();
        households.verify_email(&token.0).await.unwrap();
        registered.push((id, index));
    }
    registered
}

/// The routine programs each email notice of a household names, by the notice's kind.
async fn routine_notices(households: &Households, id: HouseholdId) -> Vec<(String, String)> {
    let data = households.export(id).await.unwrap();
    let mut named = Vec::new();
    for notice in data["notices"].as_array().unwrap() {
        let kind = notice["content"]["kind"].as_str().unwrap().to_owned();
        for program in notice["content"]["programs"].as_array().into_iter().flatten() {
            let name = program["name"].as_str().unwrap();
            if ROUTINE.contains(&name) {
                named.push((kind.clone(), name.to_owned()));
            }
        }
    }
    named
}

async fn every_municipality_hears_of_its_vaccinations_and_checkups_by_age(backend: Backend) {
    let app = app_with_examples(backend).await;
    let today = japan::date_of(chrono::Utc::now());
    let households = Households::new(app.db.clone());
    let registry = Registry::new(app.db.clone());
    let runner = MatchRunner::new(households.clone(), registry.clone(), MatchPolicy::default());
    let planner = NoticePlanner::new(households.clone(), registry);
    let registered = synthetic_households(&app, today).await;
    assert_eq!(registered.len(), 40);

    runner.run_full(today).await.unwrap();
    planner.plan_pending().await.unwrap();
    let mut first: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut per_profile: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, index) in &registered {
        let named: BTreeSet<String> = routine_notices(&households, *id)
            .await
            .into_iter()
            .map(|(kind, name)| {
                assert_eq!(
                    kind, "first_match",
                    "household {index}: only the first notice so far"
                );
                name
            })
            .collect();
        for profile in profiles_of(*index) {
            let profile = &PROFILES[profile];
            let missing: Vec<_> = profile
                .expected_now
                .iter()
                .filter(|name| !named.contains(**name))
                .collect();
            assert!(
                missing.is_empty(),
                "household {index} in {} ({}): its first notice lacks {missing:?}; it names {named:?}",
                POPULATION[*index].0,
                profile.label
            );
            *per_profile.entry(profile.label).or_default() += 1;
        }
        first.insert(*index, named);
    }
    let mentions: usize = first.values().map(BTreeSet::len).sum();
    println!(
        "first notices: 40 households, {mentions} routine programs named (min {}, max {} per household)",
        first.values().map(BTreeSet::len).min().unwrap(),
        first.values().map(BTreeSet::len).max().unwrap()
    );
    println!("households per profile: {per_profile:?}");

    // As the children grow: the tick on later days tells each household what its children's
    // 月齢 opens, one notice per program.
    let mut later: BTreeMap<String, usize> = BTreeMap::new();
    for days in [15, 30, 45, 60, 75, 90] {
        runner.run_tick(today + Days::new(days)).await.unwrap();
        planner.plan_pending().await.unwrap();
    }
    for (id, index) in &registered {
        let named = routine_notices(&households, *id).await;
        for (kind, name) in named.iter().filter(|(kind, _)| kind != "first_match") {
            *later.entry(format!("{kind} {name}")).or_default() += 1;
        }
        // The newborn and the 35-day-old grow past 2 and 3 months within these 90 days: each
        // vaccine and check-up their 月齢 reaches is announced, unless the household heard of
        // the program already (for an older child, in its first notice).
        let heard: BTreeSet<&str> = named.iter().map(|(_, name)| name.as_str()).collect();
        for profile in profiles_of(*index)
            .into_iter()
            .filter(|profile| [1, 2].contains(profile))
        {
            for program in [ROTA_1, ROTA_5, PNEUMOCOCCAL, FIVE_IN_ONE, CHECKUP_3_4_MONTHS] {
                assert!(
                    heard.contains(program),
                    "household {index} ({}) never heard of {program}: {named:?}",
                    PROFILES[profile].label
                );
            }
        }
        if profiles_of(*index).contains(&1) {
            assert!(heard.contains(CHECKUP_1_MONTH), "household {index}: {named:?}");
        }
    }
    println!("later notices over 90 days, by kind and program: {later:#?}");
    assert!(later.values().sum::<usize>() > 0);
}

async fn program_types_group_programs_and_show_what_a_municipality_lacks(backend: Backend) {
    let app = app_with_examples(backend).await;

    let catalogue = call(app.get("/api/v1/program-types"), 200).await;
    assert_eq!(
        catalogue.as_array().unwrap().len(),
        program_types::catalogue().len()
    );
    let bcg = call(app.get("/api/v1/program-types/vaccine_bcg"), 200).await;
    assert_eq!(bcg["name"], "BCG予防接種");
    call(app.get("/api/v1/program-types/no_such_type"), 404).await;

    // Every example program carries its type, and lists and search filter on it.
    let page = call(app.get("/api/v1/programs?limit=100"), 200).await;
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 48, "{}", items.len());
    assert!(items.iter().all(|program| program["program_type"].is_string()));
    let medical = call(
        app.get("/api/v1/programs?program_type=child_medical_subsidy"),
        200,
    )
    .await;
    assert_eq!(medical["items"].as_array().unwrap().len(), 5);
    let by_name = call(app.get("/api/v1/programs?program_type=BCG予防接種"), 200).await;
    assert_eq!(by_name["items"][0]["name"], "BCGワクチン（定期予防接種）");
    let refused = call(app.get("/api/v1/programs?program_type=nope"), 400).await;
    assert_eq!(refused["errors"][0]["parameter"], "program_type");
    let found = call(
        app.get("/api/v1/programs/search?type=vaccine_mr,vaccine_bcg"),
        200,
    )
    .await;
    assert_eq!(found["total"], 3, "{found}");
    call(app.get("/api/v1/programs/search?type=nope"), 400).await;

    // An unknown type is stopped at its field, in Japanese.
    let mut body = kosodate_tests::program_body("022012", "一時預かり事業");
    body["program_type"] = json!("一時あずかり");
    let refused = call(app.post("/api/v1/programs", AOMORI_CITY_TOKEN).json(&body), 422).await;
    assert_eq!(refused["errors"][0]["pointer"], "/program_type", "{refused}");
    assert!(
        refused["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("制度類型")
    );

    // No common type is missing among the examples at half of the municipalities; at a tenth,
    // 子ども医療費助成 (five municipalities publish it) is missing in the other 35.
    let registry = Registry::new(app.db.clone());
    let gaps = registry.missing_common_types(0.5).await.unwrap();
    assert_eq!(gaps.len(), 40);
    assert!(gaps.iter().all(|gap| gap.missing.is_empty()), "{gaps:?}");
    let tenth = registry.missing_common_types(0.1).await.unwrap();
    let lacking: Vec<_> = tenth
        .iter()
        .filter(|gap| {
            gap.missing
                .iter()
                .any(|m| m.program_type == "child_medical_subsidy")
        })
        .map(|gap| gap.municipality.to_string())
        .collect();
    assert_eq!(lacking.len(), 35);
    assert!(!lacking.contains(&"022012".to_owned()));

    // 一時預かり in the first 20 municipalities: the other 20 lack it, until the prefecture runs
    // one for everybody.
    let admin = StaffIdentity::administrator("test");
    let template = program_types::find("temporary_childcare").unwrap();
    for (code, _) in POPULATION.iter().take(20) {
        let owner = ProgramOwner::Local(MunicipalityCode::parse(code).unwrap());
        let mut input = template.template(&owner);
        input.summary = format!("{code}の一時預かり");
        let program = registry.create_program(&admin, &input).await.unwrap();
        registry.publish_program(&admin, program.id).await.unwrap();
    }
    // A change of type is a version like any other, with the field in its diff.
    let first = POPULATION[0].0;
    let filter = kosodate_registry::ProgramFilter {
        owner: Some(ProgramOwner::parse(first).unwrap()),
        program_type: Some("temporary_childcare".into()),
        ..Default::default()
    };
    let program = registry
        .all_programs(&filter, kosodate_registry::Visibility::Staff)
        .await
        .unwrap()
        .remove(0);
    let mut changed = kosodate_registry::ProgramInput::from(program.content.clone());
    changed.program_type = Some("延長保育".into());
    registry
        .update_program(&admin, program.id, &changed, None)
        .await
        .unwrap();
    let history = registry.history(program.id, &Default::default()).await.unwrap();
    let last = history.items.last().unwrap();
    assert_eq!(last.changes.len(), 1, "{:?}", last.changes);
    assert_eq!(last.changes[0].field, "program_type");
    assert_eq!(last.changes[0].before, "temporary_childcare");
    assert_eq!(last.changes[0].after, "extended_childcare");
    changed.program_type = Some("temporary_childcare".into());
    registry
        .update_program(&admin, program.id, &changed, None)
        .await
        .unwrap();

    let gaps = call(app.get("/api/v1/program-types/gaps?min_percent=50"), 200).await;
    let lacking: Vec<&str> = gaps
        .as_array()
        .unwrap()
        .iter()
        .filter(|gap| {
            gap["missing"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["program_type"] == "temporary_childcare")
        })
        .map(|gap| gap["municipality"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = POPULATION.iter().skip(20).map(|(code, _)| *code).collect();
    assert_eq!(
        lacking.iter().copied().collect::<BTreeSet<_>>(),
        expected.iter().copied().collect::<BTreeSet<_>>()
    );
    let last = POPULATION[39].0;
    let last_gap = gaps
        .as_array()
        .unwrap()
        .iter()
        .find(|gap| gap["municipality"] == last)
        .unwrap();
    assert_eq!(last_gap["missing"][0]["published_by"], 20, "{last_gap}");
    call(app.get("/api/v1/program-types/gaps?min_percent=0"), 400).await;
    let mut prefecture = template.template(&ProgramOwner::Local(kosodate_domain::PREFECTURE_CODE));
    prefecture.summary = "県の一時預かり".into();
    let program = registry.create_program(&admin, &prefecture).await.unwrap();
    registry.publish_program(&admin, program.id).await.unwrap();
    let gaps = registry.missing_common_types(0.5).await.unwrap();
    assert!(gaps.iter().all(|gap| gap.missing.is_empty()), "{gaps:?}");

    // The spreadsheet names the type in Japanese.
    let csv = app
        .get("/api/v1/programs/export?format=csv")
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().contains("制度類型"));
    assert!(csv.contains("BCG予防接種"));
}
