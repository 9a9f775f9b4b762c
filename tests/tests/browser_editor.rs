//! A clerk enters a program in real headless Chromium, on both databases, through the real
//! OpenID Provider: she signs in, starts a program, builds 「生後6か月から就学前」 with the
//! eligibility builder and sees the sentence parents will read change as she types (the editor's
//! script, no page load), sees a wrong date stopped at its field in Japanese, reads the preview,
//! publishes, and a parent's search finds the program. axe-core checks every editor page at a
//! phone's and a desktop's width. The test prints how many inputs the clerk needed and how long
//! the scripted run took.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
#![allow(clippy::print_stderr)] // the test reports the clerk's input count and time

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kosodate_tests::browser::Chromium;
use kosodate_tests::{Backend, both_backends, spawn_app_with_sign_in};

both_backends!(
    a_clerk_enters_a_program_in_the_browser,
    a_clerk_starts_from_the_temporary_childcare_type
);

const NAME: &str = "弘前市ブラウザ一時預かり事業";

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots/editor")
}

/// The clerk's inputs: each field filled, option picked or button pressed.
struct Clerk<'a> {
    chromium: &'a Chromium,
    inputs: usize,
}

impl Clerk<'_> {
    async fn fill(&mut self, css: &str, text: &str) {
        self.inputs += 1;
        self.chromium.fill(css, text).await;
    }

    async fn select(&mut self, css: &str, value: &str) {
        self.inputs += 1;
        self.chromium.select(css, value).await;
    }

    async fn click(&mut self, css: &str) {
        self.inputs += 1;
        self.chromium.click(css).await;
    }

    async fn click_and_wait(&mut self, css: &str) {
        self.inputs += 1;
        self.chromium.click_and_wait(css).await;
    }

    /// Waits until the element `id` has text containing `words`, as the live check fills it in.
    async fn wait_for(&self, id: &str, words: &str) -> String {
        let script = format!("const e = document.getElementById('{id}'); return e ? e.textContent : ''");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self
                .chromium
                .evaluate(&script)
                .await
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if text.contains(words) {
                return text;
            }
            assert!(Instant::now() < deadline, "#{id} never said {words:?}: {text:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn a_clerk_enters_a_program_in_the_browser(backend: Backend) {
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    let chromium = Chromium::start().await;
    let shots = screenshots().join(format!("{backend:?}").to_lowercase());

    chromium.visit(&app.url("/staff/programs/new"), (1280, 800)).await;
    assert!(
        chromium.path().await.starts_with("/staff/login"),
        "{}",
        chromium.path().await
    );
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", "hirosaki").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/staff/programs/new");
    chromium.check_open_page(&shots, "editor-new").await;

    let started = Instant::now();
    let mut clerk = Clerk {
        chromium: &chromium,
        inputs: 0,
    };
    basics(&mut clerk).await;
    build_the_rule(&mut clerk).await;
    a_wrong_date_is_stopped(&mut clerk, &shots).await;
    preview(&clerk).await;
    clerk.click_and_wait("button[name=action][value=publish]").await;
    let elapsed = started.elapsed();
    let path = chromium.path().await;
    assert!(
        path.ends_with("/edit?saved=published"),
        "{path}: {}",
        chromium.text().await
    );
    assert!(chromium.text().await.contains("公開しました"));
    eprintln!(
        "editor figures ({backend:?}): the clerk needed {} inputs; the scripted entry took {:.1} s",
        clerk.inputs,
        elapsed.as_secs_f64()
    );
    chromium.check_open_page(&shots, "editor-saved").await;
    let history = path.replace("/edit?saved=published", "/history");
    chromium
        .check_page(&app.url(&history), (1280, 800), &shots, "history")
        .await;
    chromium
        .check_page(&app.url(&history), (360, 740), &shots, "history")
        .await;

    a_parent_finds_it(
        &chromium,
        &app.url("/search?q=%E4%B8%80%E6%99%82%E9%A0%90%E3%81%8B%E3%82%8A"),
    )
    .await;
    chromium.close().await;
}

async fn basics(clerk: &mut Clerk<'_>) {
    clerk.fill("#name", NAME).await;
    clerk.click("#category-childcare_education").await;
    clerk
        .fill(
            "#summary",
            "保護者の用事や休息のときに、お子さんを保育所で一時的に預かります。",
        )
        .await;
    clerk.fill("#benefit_amount", "２千円").await;
    clerk.fill("#contact_phone", "０１７２－４０－７０３８").await;
}

/// 生後6か月から就学前: an age row and a stage row, the sentence following as she types.
async fn build_the_rule(clerk: &mut Clerk<'_>) {
    clerk.select("#new_kind", "age").await;
    clerk
        .click_and_wait("button[name=action][value=add_condition]")
        .await;
    clerk.wait_for("rule-words", "条件はありません").await;
    // From here on no page loads: the sentence changes by the editor's script alone.
    clerk
        .chromium
        .evaluate("window.kosodateSamePage = true; return null")
        .await;
    clerk.fill("#c0_from", "6か月").await;
    let sentence = clerk.wait_for("rule-words", "6か月").await;
    assert!(!sentence.contains("条件はありません"), "{sentence}");
    assert_eq!(
        clerk
            .chromium
            .evaluate("return window.kosodateSamePage === true")
            .await,
        true
    );
    clerk.select("#new_kind", "stage").await;
    clerk
        .click_and_wait("button[name=action][value=add_condition]")
        .await;
    // The stage row starts at 未就学 (就学前).
    let sentence = clerk.wait_for("rule-words", "未就学").await;
    assert!(sentence.contains("6か月"), "{sentence}");
}

async fn a_wrong_date_is_stopped(clerk: &mut Clerk<'_>, shots: &Path) {
    clerk.click("#window_fixed").await;
    clerk.fill("#window_from", "令和9年4月1日").await;
    clerk.fill("#window_to", "2027年3月1日").await;
    let message = clerk.wait_for("window_to-error", "開始日").await;
    assert!(message.contains("前になっています"), "{message}");
    let invalid = clerk
        .chromium
        .evaluate("return document.getElementById('window_to').getAttribute('aria-invalid')")
        .await;
    assert_eq!(invalid, "true");
    clerk.chromium.check_open_page(shots, "editor-errors").await;
    clerk.fill("#window_to", "R10.3.31").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while clerk
        .chromium
        .evaluate("return document.getElementById('window_to-error').hidden")
        .await
        != true
    {
        assert!(
            Instant::now() < deadline,
            "the message went away once the date was right"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn preview(clerk: &Clerk<'_>) {
    let preview = clerk.wait_for("preview", "生後6か月の子").await;
    assert!(preview.contains("はい、対象です。"), "{preview}");
    assert!(
        preview.contains("いいえ、対象ではありません。"),
        "小1 and 中1 are not: {preview}"
    );
    assert!(preview.contains("10件未満"), "{preview}");
}

async fn a_parent_finds_it(chromium: &Chromium, search: &str) {
    a_parent_finds(chromium, search, NAME).await;
}

async fn a_parent_finds(chromium: &Chromium, search: &str, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        chromium.visit(search, (360, 740)).await;
        if chromium.text().await.contains(name) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the search never found {name}: {}",
            chromium.text().await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The clerk: from the staff home she picks 「一時預かり」 among the program types, finds
/// 生後6か月から就学前 and the rest already filled in from the type, enters only what is local,
/// previews and publishes; a parent's search finds the program.
async fn a_clerk_starts_from_the_temporary_childcare_type(backend: Backend) {
    const LOCAL_NAME: &str = "弘前市一時預かり（型から登録）";
    let signed_in = spawn_app_with_sign_in(backend, |_| {}).await;
    let app = &signed_in.app;
    let chromium = Chromium::start().await;
    let shots = screenshots().join(format!("{backend:?}").to_lowercase());
    chromium.visit(&app.url("/staff"), (1280, 800)).await;
    chromium
        .click_and_wait("a.button[href^='/auth/login/staff']")
        .await;
    chromium.fill("input[name=login]", "hirosaki").await;
    chromium.click_and_wait("button[type=submit]").await;
    assert_eq!(chromium.path().await, "/staff");

    let started = Instant::now();
    let mut clerk = Clerk {
        chromium: &chromium,
        inputs: 0,
    };
    clerk
        .click_and_wait("header nav a[href='/staff/programs/types']")
        .await;
    chromium.check_open_page(&shots, "editor-types").await;
    clerk
        .click_and_wait("a[href='/staff/programs/new?type=temporary_childcare']")
        .await;
    let sentence = clerk.wait_for("rule-words", "未就学").await;
    assert!(sentence.contains("6か月"), "the type's rule: {sentence}");
    clerk.fill("#name", LOCAL_NAME).await;
    clerk.fill("#benefit_amount", "２千円").await;
    clerk.fill("#contact_phone", "０１７２－４０－７０３８").await;
    preview(&clerk).await;
    clerk.click_and_wait("button[name=action][value=publish]").await;
    let elapsed = started.elapsed();
    let path = chromium.path().await;
    assert!(
        path.ends_with("/edit?saved=published"),
        "{path}: {}",
        chromium.text().await
    );
    eprintln!(
        "editor figures from a type ({backend:?}): the clerk needed {} inputs; the scripted entry took {:.1} s",
        clerk.inputs,
        elapsed.as_secs_f64()
    );
    a_parent_finds(
        &chromium,
        &app.url("/search?q=%E4%B8%80%E6%99%82%E9%A0%90%E3%81%8B%E3%82%8A"),
        LOCAL_NAME,
    )
    .await;
    chromium.close().await;
}
