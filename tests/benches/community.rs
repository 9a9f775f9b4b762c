//! Community benchmark, in sections:
//! - `index`: the question index (`community::similar`) with 1,000,000 synthetic questions
//!   (Japanese titles and bodies from templates × vocabulary: topics, worries, children's ages,
//!   Aomori's municipalities; deterministic, a fixed seed), on disk: indexing rate (upserts of
//!   10,000, each committed), size on disk, time to re-open; then p50/p99/max latency on one
//!   thread of `similar` (drafts, 10 results) and `search` (keywords, half with a category
//!   filter, 20 results) over 1,000 queries each, after a warm-up pass. The goal is p99 < 20 ms.
//! - `detect`: `personal_data::detect` on 1,000 posts of 200 to 2,000 characters (everyday
//!   sentences, a third of them with a phone number, an email address, an address or a name),
//!   p50/p99/max, and on 200 posts of exactly 2,000 characters. The goal is well under 1 ms.
//! - `posting`: `Community::ask` on PostgreSQL (a fresh database) holding 1,000,000 questions
//!   (written with `INSERT … SELECT generate_series`), by 100 members in turn: validation, the
//!   personal-data check (a third of the posts carry personal data, masked), the rate limits
//!   and the write, p50/p99/max over 2,000 posts after 200 to warm up. The goal is p99 < 50 ms.
//!
//! Prints figures; asserts nothing about time.
//! `cargo bench -p kosodate-tests --bench community` runs all three; `-- index`, `-- detect`
//! or `-- posting` runs one. Under `cargo test` (no `--bench` argument) it measures nothing.
//!
//! `KOSODATE_BENCH_QUESTIONS` (1,000,000) sizes the index and the database. Drafts are cut into words with the
//! IPADIC dictionary, as the server does, when its sources are in `.cache/mecab-ipadic-utf8`
//! (`scripts/ensure-ipadic.sh`); `KOSODATE_BENCH_READINGS=none` runs without it.
//! `KOSODATE_BENCH_POSTGRES_URL` (postgres://postgres@127.0.0.1:5432/postgres) names the server on
//! which a fresh database is created for the run and dropped after it.

#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use kosodate_community::personal_data::detect;
use kosodate_community::{IndexedQuestion, QuestionIndex};
use kosodate_search::Reader;
use kosodate_search::readings::load_readings;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

const SEED: u64 = 20_261_205;
const SECTIONS: [&str; 3] = ["index", "detect", "posting"];
/// Questions per `upsert` (each commits), as a refill from the database hands them over.
const UPSERT_BATCH: usize = 10_000;
const QUERIES: usize = 1_000;
const POSTS: usize = 1_000;
const LONG_POSTS: usize = 200;
const LONGEST_POST: usize = 2_000;

const TOPICS: [&str; 40] = [
    "夜泣き",
    "離乳食",
    "保育園の入園",
    "児童手当",
    "予防接種",
    "イヤイヤ期",
    "トイレトレーニング",
    "発熱",
    "便秘",
    "母乳",
    "ミルクの量",
    "寝かしつけ",
    "一時預かり",
    "放課後児童クラブ",
    "子ども医療費助成",
    "育児休業",
    "職場復帰",
    "発達相談",
    "言葉の遅れ",
    "偏食",
    "乳幼児健診",
    "妊婦健診",
    "つわり",
    "産後うつ",
    "児童扶養手当",
    "保育料",
    "幼稚園の選び方",
    "小学校の入学準備",
    "食物アレルギー",
    "歯みがき",
    "抱っこひも",
    "ベビーカー",
    "卒乳",
    "人見知り",
    "夜間の救急",
    "病児保育",
    "ファミリーサポート",
    "出産費用",
    "里帰り出産",
    "双子の育児",
];
const WORRIES: [&str; 10] = [
    "について教えてください",
    "が心配です",
    "で困っています",
    "はいつからですか",
    "はどうしていますか",
    "の相談先はどこですか",
    "がうまくいきません",
    "の申請方法は？",
    "について悩んでいます",
    "はみんなどうしてる？",
];
const AGES: [&str; 10] = [
    "生後2か月",
    "生後5か月",
    "生後8か月",
    "1歳",
    "1歳半",
    "2歳",
    "3歳",
    "4歳",
    "5歳",
    "小学1年生",
];
const CHILDREN: [&str; 7] = ["息子", "娘", "長男", "長女", "次男", "次女", "双子"];
const FEELINGS: [&str; 5] = [
    "毎日不安です",
    "とても疲れています",
    "悩んでいます",
    "困っています",
    "どうしたらいいかわかりません",
];
const TIMES: [&str; 5] = ["夜", "朝", "夕方", "週末", "保育園の帰り"];
const SYMPTOMS: [&str; 5] = [
    "泣き止みません",
    "食べてくれません",
    "寝てくれません",
    "熱が出ます",
    "機嫌が悪くなります",
];
const PEOPLE: [&str; 5] = [
    "保健師さん",
    "小児科の先生",
    "保育士さん",
    "市の窓口",
    "助産師さん",
];
const MUNICIPALITIES: [(&str, &str); 10] = [
    ("022012", "青森市"),
    ("022021", "弘前市"),
    ("022039", "八戸市"),
    ("022047", "黒石市"),
    ("022055", "五所川原市"),
    ("022063", "十和田市"),
    ("022071", "三沢市"),
    ("022080", "むつ市"),
    ("022098", "つがる市"),
    ("022101", "平川市"),
];
const CATEGORIES: [&str; 10] = [
    "pregnancy",
    "birth",
    "infant",
    "childcare_education",
    "money",
    "development",
    "single_parent",
    "health",
    "work",
    "other",
];
/// What a third of the posts carry, to be caught.
const PERSONAL: [&str; 6] = [
    "急ぎなので０９０－１２３４－５６７８に電話ください。",
    "hanako.mama@example.jp に連絡ください。",
    "住所は青森市新町2丁目4-1です。",
    "私は山田花子です。",
    "〇九〇の一二三四の五六七八までお願いします。",
    "息子の太郎くんがいつも泣きます。",
];

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

fn title(rng: &mut ChaCha8Rng) -> String {
    let topic = pick(rng, &TOPICS);
    let worry = pick(rng, &WORRIES);
    match rng.random_range(0..3) {
        0 => format!("{topic}{worry}"),
        1 => format!("{}の{}の{topic}{worry}", pick(rng, &AGES), pick(rng, &CHILDREN)),
        _ => format!("{}で{topic}{worry}", pick(rng, &AGES)),
    }
}

fn sentence(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..6) {
        0 => format!("{}の{}がいます。", pick(rng, &AGES), pick(rng, &CHILDREN)),
        1 => format!("{}のことで{}。", pick(rng, &TOPICS), pick(rng, &FEELINGS)),
        2 => format!("{}に住んでいます。", MUNICIPALITIES[rng.random_range(0..10)].1),
        3 => format!("{}になると{}。", pick(rng, &TIMES), pick(rng, &SYMPTOMS)),
        4 => format!("{}に相談したほうがいいでしょうか。", pick(rng, &PEOPLE)),
        _ => "同じような経験のある方、教えてください。".to_owned(),
    }
}

fn question(rng: &mut ChaCha8Rng, number: usize) -> IndexedQuestion {
    let sentences = rng.random_range(2..6);
    let body: String = (0..sentences).map(|_| sentence(rng)).collect();
    let (code, _) = MUNICIPALITIES[rng.random_range(0..MUNICIPALITIES.len())];
    let seconds = 1_760_000_000 + i64::try_from(number).unwrap_or_default() * 30;
    IndexedQuestion {
        id: Uuid::from_u128(u128::try_from(number).unwrap_or_default() + 1),
        title: title(rng),
        body,
        category: pick(rng, &CATEGORIES).to_owned(),
        municipality: rng.random_bool(0.8).then(|| code.to_owned()),
        visible: true,
        updated_at: Utc.timestamp_opt(seconds, 0).single().unwrap_or_default(),
    }
}

/// Sorted latencies, read at nearest rank.
fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let rank = (share * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied().unwrap_or_default()
}

fn print_latencies(label: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    println!(
        "  {label:<34} {:>6} {:>9.3} {:>9.3} {:>9.3}",
        samples.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        ms(samples.last().copied().unwrap_or_default()),
    );
}

fn print_header() {
    println!(
        "  {:<34} {:>6} {:>9} {:>9} {:>9}",
        "measurement", "runs", "p50 ms", "p99 ms", "max ms"
    );
}

/// Runs `run` on every input once to warm up, then once more timing each.
fn timed<T>(inputs: &[T], mut run: impl FnMut(&T) -> anyhow::Result<()>) -> anyhow::Result<Vec<Duration>> {
    for input in inputs {
        run(input)?;
    }
    let mut samples = Vec::with_capacity(inputs.len());
    for input in inputs {
        let started = Instant::now();
        run(input)?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

fn readings() -> anyhow::Result<Option<Arc<dyn Reader>>> {
    if std::env::var("KOSODATE_BENCH_READINGS").is_ok_and(|value| value == "none") {
        return Ok(None);
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cache/mecab-ipadic-utf8");
    Ok(load_readings(&source)?.map(|morphology| morphology as Arc<dyn Reader>))
}

fn directory_size(directory: &Path) -> anyhow::Result<u64> {
    let mut size = 0;
    for entry in std::fs::read_dir(directory)? {
        size += entry?.metadata()?.len();
    }
    Ok(size)
}

fn build_index(
    directory: &Path,
    count: usize,
    readings: Option<Arc<dyn Reader>>,
) -> anyhow::Result<QuestionIndex> {
    let index = QuestionIndex::open_with(Some(directory), readings.clone())?;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(UPSERT_BATCH);
    for number in 0..count {
        batch.push(question(&mut rng, number));
        if batch.len() == UPSERT_BATCH || number + 1 == count {
            index.upsert(&batch)?;
            batch.clear();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "  indexed {} questions in {elapsed:.1} s ({:.0} /s), {:.0} MB on disk",
        index.len(),
        count as f64 / elapsed,
        directory_size(directory)? as f64 / 1e6
    );
    drop(index);
    let started = Instant::now();
    let reopened = QuestionIndex::open_with(Some(directory), readings)?;
    println!(
        "  re-opened in {:.0} ms ({} questions)",
        started.elapsed().as_secs_f64() * 1e3,
        reopened.len()
    );
    Ok(reopened)
}

fn index_section() -> anyhow::Result<()> {
    let count = env_count("KOSODATE_BENCH_QUESTIONS", 1_000_000);
    let readings = readings()?;
    println!(
        "\nquestion index: {count} questions, upserts of {UPSERT_BATCH}, on disk, {}",
        match readings {
            Some(_) => "drafts cut with IPADIC",
            None => "without a dictionary",
        }
    );
    let scratch = tempfile::tempdir()?;
    let index = build_index(&scratch.path().join("questions"), count, readings)?;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 1);
    let drafts: Vec<String> = (0..QUERIES)
        .map(|_| format!("{}{}", title(&mut rng), sentence(&mut rng)))
        .collect();
    let searches: Vec<(String, Option<&str>)> = (0..QUERIES)
        .map(|number| {
            let words = match number % 3 {
                0 => pick(&mut rng, &TOPICS).replace('の', " "),
                1 => format!("{} {}", pick(&mut rng, &TOPICS), pick(&mut rng, &AGES)),
                _ => format!("{} {}", pick(&mut rng, &TOPICS), pick(&mut rng, &SYMPTOMS)),
            };
            (words, (number % 2 == 0).then(|| pick(&mut rng, &CATEGORIES)))
        })
        .collect();
    print_header();
    let mut found = 0;
    let similar = timed(&drafts, |draft| {
        found += index.similar(draft, 10)?.len();
        Ok(())
    })?;
    print_latencies("similar (draft, 10 results)", similar);
    let mut total = 0;
    let search = timed(&searches, |(words, category)| {
        total += index.search(words, *category, 20, 0)?.0;
        Ok(())
    })?;
    print_latencies("search (words, category, 20)", search);
    println!(
        "  (found per draft: {:.1}; total matches per search: {:.0}; goal: p99 < 20 ms)",
        found as f64 / (2 * QUERIES) as f64,
        total as f64 / (2 * QUERIES) as f64
    );
    Ok(())
}

/// A post of `length` characters: everyday sentences, with personal data in a third of them.
fn post(rng: &mut ChaCha8Rng, length: usize) -> String {
    let mut text = String::new();
    let personal = rng.random_bool(1.0 / 3.0);
    while text.chars().count() < length {
        if personal && rng.random_bool(0.1) {
            text.push_str(pick(rng, &PERSONAL));
        } else {
            text.push_str(&sentence(rng));
        }
    }
    text.chars().take(length).collect()
}

fn detect_section() -> anyhow::Result<()> {
    println!("\npersonal data check (personal_data::detect), one thread");
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 2);
    let posts: Vec<String> = (0..POSTS)
        .map(|_| {
            let length = rng.random_range(200..=LONGEST_POST);
            post(&mut rng, length)
        })
        .collect();
    let long: Vec<String> = (0..LONG_POSTS).map(|_| post(&mut rng, LONGEST_POST)).collect();
    print_header();
    let mut findings = 0;
    let samples = timed(&posts, |text| {
        findings += detect(text).len();
        Ok(())
    })?;
    print_latencies("posts of 200–2,000 characters", samples);
    let samples = timed(&long, |text| {
        findings += detect(text).len();
        Ok(())
    })?;
    print_latencies("posts of 2,000 characters", samples);
    println!("  ({findings} findings over both passes; goal: well under 1 ms for 2,000 characters)");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs bench targets too, without `--bench` and unoptimised.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!(
            "community benchmark: nothing measured outside `cargo bench` (pass --bench to run it directly)"
        );
        return Ok(());
    }
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| SECTIONS.contains(&arg.as_str()))
        .collect();
    let runs = |section: &str| chosen.is_empty() || chosen.iter().any(|chosen| chosen == section);
    println!("community benchmark");
    if runs("detect") {
        detect_section()?;
    }
    if runs("index") {
        index_section()?;
    }
    if runs("posting") {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        runtime.block_on(posting_section())?;
    }
    Ok(())
}

const MEMBERS: usize = 100;
const POSTINGS: usize = 2_000;
const POSTING_WARM_UP: usize = 200;

/// Questions written straight into the table, newest last, as a year of a busy community.
const PRELOAD: &str = "INSERT INTO community_questions (id, author_account, category, municipality_code, \
    region, age_band, title, body, status, accepted_answer, related_program_count, answer_count, \
    first_answered_at, created_at, updated_at, version) \
    SELECT md5(g::text)::uuid::text, NULL, \
    (ARRAY['pregnancy','birth','infant','childcare_education','money','development','single_parent','health','work','other'])[1 + g % 10], \
    (ARRAY['022012','022021','022039','022047','022055','022063','022071','022080','022098','022101'])[1 + g % 10], \
    NULL, NULL, \
    (ARRAY['夜泣きで眠れません','保育園に入れませんでした','離乳食を食べてくれない','児童手当の申請はいつまで','一時預かりの使い方'])[1 + g % 5] || ' ' || g, \
    (ARRAY['生後8か月の息子が毎晩2時間おきに起きます。','4月入園の一次選考で落ちました。','7か月です。おかゆを嫌がります。'])[1 + g % 3], \
    'visible', NULL, NULL, g % 4, NULL, \
    TIMESTAMPTZ '2026-12-01 00:00:00+00' - (({count} - g) * INTERVAL '30 seconds'), \
    TIMESTAMPTZ '2026-12-01 00:00:00+00' - (({count} - g) * INTERVAL '30 seconds'), 1 \
    FROM generate_series(1, {count}) AS g";

async fn posting_section() -> anyhow::Result<()> {
    use kosodate_community::{Community, DisplayName, Masking, QuestionCategory, QuestionInput};
    use kosodate_migrations::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;

    let count = env_count("KOSODATE_BENCH_QUESTIONS", 1_000_000);
    println!("\nposting (Community::ask) on PostgreSQL with {count} questions, {MEMBERS} members in turn");
    let admin = std::env::var("KOSODATE_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("kosodate_bench_community_{}", Uuid::now_v7().simple());
    let scratch = kosodate_database::ScratchDatabase::create(&admin, &name).await?;
    let db = kosodate_database::connect(&scratch.url, 8).await?;
    Migrator::up(&db, None).await?;
    let started = Instant::now();
    db.execute_unprepared(&PRELOAD.replace("{count}", &count.to_string()))
        .await?;
    db.execute_unprepared("ANALYZE").await?;
    println!(
        "  {count} questions written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let community = Community::new(db);
    let start = Utc
        .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let mut members = Vec::with_capacity(MEMBERS);
    for number in 0..MEMBERS {
        let account = Uuid::now_v7();
        let name = DisplayName::parse(&format!("ベンチ会員{number}"))
            .map_err(|error| anyhow::anyhow!("{error:?}"))?;
        community.join(account, &name, false, start).await?;
        members.push(account);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 3);
    let categories: Vec<QuestionCategory> = CATEGORIES
        .iter()
        .filter_map(|id| kosodate_domain::Vocabulary::parse(id))
        .collect();
    let mut samples = Vec::with_capacity(POSTINGS);
    for number in 0..POSTING_WARM_UP + POSTINGS {
        let length = rng.random_range(40..400);
        let input = QuestionInput {
            category: *categories.choose(&mut rng).unwrap_or(&categories[0]),
            municipality: Some(MUNICIPALITIES[number % MUNICIPALITIES.len()].0.to_owned()),
            region: None,
            age_band: None,
            title: title(&mut rng),
            body: post(&mut rng, length),
        };
        // Each member posts every 100 × 20 minutes: under every rate limit, as most members are.
        let now = start + chrono::Duration::minutes(20 * i64::try_from(number).unwrap_or_default());
        let posted = Instant::now();
        community
            .ask(members[number % MEMBERS], &input, Masking::Accept, now)
            .await?;
        if number >= POSTING_WARM_UP {
            samples.push(posted.elapsed());
        }
    }
    print_header();
    print_latencies("ask (check + rate limits + write)", samples);
    println!("  (goal: p99 < 50 ms)");
    let db = community.connection().clone();
    db.close().await?;
    scratch.drop_now().await?;
    Ok(())
}
