//! The OpenAPI document, checked from the outside: it validates as OpenAPI 3.1, and schemathesis
//! (pinned in tests/schemathesis/requirements.txt, installed by scripts/ensure-schemathesis.sh)
//! runs all of its checks against every operation, as staff and as a parent, both signed in
//! through the real OpenID Provider, and finds nothing.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
#![allow(clippy::print_stdout)] // the run's figures (operations, test cases, time) are reported

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

use kosodate_tests::{Backend, Browser, SignInApp, both_backends, call, spawn_app_with_sign_in};
use reqwest::Method;
use serde_json::json;

both_backends!(the_document_is_valid_openapi_3_1, schemathesis_finds_nothing);

/// Test cases per operation and phase: enough to reach every status an operation has, few enough
/// for the run to stay well under three minutes on two cores.
const MAX_EXAMPLES: &str = "25";
/// Fixed, so that a failure can be replayed.
const SEED: &str = "20261205";

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn venv_bin(program: &str) -> PathBuf {
    repository_root()
        .join(".cache/schemathesis-venv/bin")
        .join(program)
}

fn ensure_installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let status = Command::new(repository_root().join("scripts/ensure-schemathesis.sh"))
            .status()
            .expect("scripts/ensure-schemathesis.sh runs");
        assert!(status.success(), "schemathesis could not be installed");
    });
}

async fn start(backend: Backend) -> SignInApp {
    ensure_installed();
    spawn_app_with_sign_in(backend, |settings| settings.load_examples = Some(true)).await
}

async fn the_document_is_valid_openapi_3_1(backend: Backend) {
    let app = start(backend).await;
    let document = call(app.app.get("/api/v1/openapi.json"), 200).await;
    assert_eq!(document["openapi"], "3.1.0");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), document.to_string()).unwrap();
    let output = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import validate\n\
             from openapi_spec_validator.validation import OpenAPIV31SpecValidator\n\
             validate(json.load(open(sys.argv[1])), cls=OpenAPIV31SpecValidator)",
        ])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the document is not valid OpenAPI 3.1:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A parent with a household, consent to matching and an email address, so that the `/me`
/// operations reach their handlers instead of answering 404 or 403.
async fn parent_with_household(app: &SignInApp) -> Browser {
    let parent = Browser::sign_in(&app.app, "parents", "hanako").await;
    let household = json!({
        "municipality_code": "022012",
        "children": [{"nickname": "上の子", "birth_date": "2024-05-10"}],
        "income_band": "up_to640"
    });
    parent.consent("matching").await;
    call(
        parent.send(Method::PUT, "/api/v1/me/household").json(&household),
        201,
    )
    .await;
    let consents = call(parent.get("/api/v1/me/consents"), 200).await;
    for purpose in consents["purposes"].as_array().unwrap() {
        let consent = json!({
            "purpose": purpose["purpose"],
            "text_version": purpose["current_text"]["version"],
        });
        call(
            parent.send(Method::POST, "/api/v1/me/consents").json(&consent),
            200,
        )
        .await;
    }
    call(
        parent
            .send(Method::POST, "/api/v1/me/channels")
            .json(&json!({"email": "hanako.mail@example.jp"})),
        201,
    )
    .await;
    parent
}

/// The session cookie's value, as schemathesis's API key for the session schemes.
fn session_of(browser: &Browser) -> String {
    let header = browser.cookie_header().expect("a session cookie");
    header
        .split("; ")
        .find_map(|cookie| cookie.strip_prefix("kosodate_session="))
        .expect("the session cookie")
        .to_owned()
}

/// Runs schemathesis with tests/schemathesis/schemathesis.toml against `base`, as `staff` and
/// `parent`; returns whether it found nothing, and its report.
fn run_schemathesis(base: &str, staff: &Browser, parent: &Browser, report_dir: &Path) -> (bool, String) {
    let config = repository_root().join("tests/schemathesis");
    let output = Command::new(venv_bin("schemathesis"))
        .arg("--config-file")
        .arg(config.join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--seed", SEED])
        // One worker: Python 3.11's parser is not safe to call from two threads at once, which
        // hypothesis does when describing strategies (a SystemError, "AST constructor recursion
        // depth mismatch"), and the run is short anyway.
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .args(["--report", "junit", "--report-dir"])
        .arg(report_dir)
        .arg("--no-color")
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", &config)
        .env("KOSODATE_STAFF_SESSION", session_of(staff))
        .env("KOSODATE_STAFF_CSRF", staff.csrf.clone().expect("a CSRF token"))
        .env("KOSODATE_PARENT_SESSION", session_of(parent))
        .env("KOSODATE_PARENT_CSRF", parent.csrf.clone().expect("a CSRF token"))
        .output()
        .expect("schemathesis runs");
    let mut report = String::from_utf8_lossy(&output.stdout).into_owned();
    report.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), report)
}

async fn schemathesis_finds_nothing(backend: Backend) {
    let app = start(backend).await;
    let staff = Browser::sign_in(&app.app, "staff", "admin").await;
    let parent = parent_with_household(&app).await;
    let base = app.app.url("");
    let reports = tempfile::tempdir().unwrap();
    let report_dir = reports.path().to_owned();
    let started = Instant::now();
    let (passed, report) =
        tokio::task::spawn_blocking(move || run_schemathesis(&base, &staff, &parent, &report_dir))
            .await
            .unwrap();
    // The figures (operations, phases, test cases, warnings) for whoever reads the test's output.
    let warnings_and_summary = report
        .find("=== WARNINGS ===")
        .or_else(|| report.find("=== SUMMARY ==="))
        .map_or("", |start| &report[start..]);
    println!(
        "schemathesis on {backend:?} in {:.0} s:\n{warnings_and_summary}",
        started.elapsed().as_secs_f64()
    );
    assert!(passed, "{report}");
}
