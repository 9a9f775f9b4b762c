//! Lighthouse on the pages parents use most: `/`, a search by sentence, a program page and a
//! signed-in parent's `/me`, with mobile emulation (Lighthouse's default: a mid-range phone on a
//! slow 4G connection), in Debian's Chromium. It prints each page's accessibility, best-practices
//! and performance scores with its weight on the wire; nothing is asserted (a report, not a
//! test). Run it with `scripts/lighthouse`, which installs Lighthouse from npm first.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a report: a failure is a failed run

use std::process::Command;

use kosodate_tests::{Backend, Browser, call, spawn_app_with_sign_in};
use reqwest::Method;
use serde_json::{Value, json};

const CATEGORIES: [&str; 3] = ["accessibility", "best-practices", "performance"];

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(report());
}

async fn report() {
    let signed_in = spawn_app_with_sign_in(Backend::Sqlite, |settings| {
        settings.load_examples = Some(true);
        kosodate_tests::with_dictionary(settings);
    })
    .await;
    let app = &signed_in.app;
    let parent = Browser::sign_in(app, "parents", "hanako").await;
    parent.consent("matching").await;
    let household = json!({
        "municipality_code": "022012",
        "children": [{"nickname": "上の子", "birth_date": "2025-06-01"}, {"due_date": "2027-03-01"}],
    });
    call(
        parent.send(Method::PUT, "/api/v1/me/household").json(&household),
        201,
    )
    .await;
    let programs = call(app.client.get(app.url("/api/v1/programs?limit=1")), 200).await;
    let program = programs["items"][0]["id"].as_str().unwrap().to_owned();
    let cookie = parent.cookie_header().unwrap();
    let pages = [
        ("/", None),
        ("/search?q=妊娠したら", None),
        (&*format!("/programs/{program}"), None),
        ("/me", Some(cookie.as_str())),
    ];
    println!("| page | accessibility | best practices | performance | transferred |");
    println!("|---|---|---|---|---|");
    for (path, cookie) in pages {
        let result = lighthouse(&app.url(path), cookie);
        let scores: Vec<String> = CATEGORIES
            .iter()
            .map(|category| {
                result["categories"][category]["score"]
                    .as_f64()
                    .map_or("—".to_owned(), |score| format!("{:.0}", score * 100.0))
            })
            .collect();
        let bytes = result["audits"]["total-byte-weight"]["numericValue"]
            .as_f64()
            .unwrap_or_default();
        println!(
            "| `{path}` | {} | {} | {} | {:.1} KB |",
            scores[0],
            scores[1],
            scores[2],
            bytes / 1024.0
        );
        for category in CATEGORIES {
            for failed in failed_audits(&result, category) {
                println!("|   | {category}: {failed} | | | |");
            }
        }
        if let Some(errors) = result["audits"]["errors-in-console"]["details"]["items"].as_array() {
            for error in errors {
                println!(
                    "|   | console: {} {} | | | |",
                    error["source"], error["description"]
                );
            }
        }
    }
}

/// One Lighthouse run, its JSON report.
fn lighthouse(url: &str, cookie: Option<&str>) -> Value {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/lighthouse");
    let mut command = Command::new("node");
    command
        .arg(format!("{root}/node_modules/lighthouse/cli/index.js"))
        .arg(url)
        .arg("--output=json")
        .arg("--output-path=stdout")
        .arg("--quiet")
        .arg(format!("--only-categories={}", CATEGORIES.join(",")))
        .arg("--chrome-flags=--headless=new --no-sandbox --disable-dev-shm-usage")
        .env("CHROME_PATH", "/usr/bin/chromium");
    if let Some(cookie) = cookie {
        command.arg(format!("--extra-headers={}", json!({"Cookie": cookie})));
    }
    let output = command
        .output()
        .expect("node runs Lighthouse (scripts/lighthouse installs it)");
    assert!(
        output.status.success(),
        "Lighthouse failed on {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("Lighthouse's JSON report")
}

/// The audits of a category that did not pass, by title.
fn failed_audits(result: &Value, category: &str) -> Vec<String> {
    let Some(references) = result["categories"][category]["auditRefs"].as_array() else {
        return Vec::new();
    };
    references
        .iter()
        .filter(|reference| reference["weight"].as_f64().unwrap_or_default() > 0.0)
        .filter_map(|reference| {
            let audit = &result["audits"][reference["id"].as_str()?];
            let score = audit["score"].as_f64()?;
            (score < 0.9).then(|| format!("{} ({score:.2})", audit["title"].as_str().unwrap_or_default()))
        })
        .collect()
}
