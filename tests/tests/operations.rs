//! What operators and API clients rely on: health, readiness, metrics, request ids, and an
//! OpenAPI document that describes exactly the routes that exist.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use kosodate_tests::{AOMORI_CITY_TOKEN, Backend, both_backends, call, program_body, spawn_app};

both_backends!(
    probes_metrics_and_request_ids,
    openapi_describes_the_routes_that_exist
);

async fn probes_metrics_and_request_ids(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/healthz").send().await.unwrap().status(), 200);
    let ready = app.get("/readyz").send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let request_id = ready.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(request_id.len(), 36, "a UUID request id");
    let caller_id = "01a2001e-955f-76f3-983c-101ec63eeaa6";
    let given = app
        .get("/healthz")
        .header("x-request-id", caller_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        given.headers()["x-request-id"],
        caller_id,
        "a caller's UUID is kept"
    );

    app.create_program(AOMORI_CITY_TOKEN, &program_body("022012", "メトリクス確認"))
        .await;
    let metrics = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"http_requests_total{method="POST",route="/api/v1/programs",status="201"}"#),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    let gauge = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
    };
    for name in ["allocator_allocated_bytes", "allocator_resident_bytes"] {
        let bytes = gauge(name);
        assert!(bytes > 1_000_000.0, "{name} {bytes}: the service holds megabytes");
    }
    // Part of the allocated bytes, read in the same snapshot.
    let thread_caches = gauge("allocator_thread_cache_bytes");
    assert!(
        thread_caches > 0.0 && thread_caches < gauge("allocator_allocated_bytes"),
        "allocator_thread_cache_bytes {thread_caches}"
    );
    assert!(!metrics.contains(AOMORI_CITY_TOKEN));
}

/// Methods a route can be served with (HEAD follows GET).
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A concrete path for a route template, with a plausible value for each parameter.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| match segment {
            "{code}" => "022012",
            "{id}" => "01a2001e-955f-76f3-983c-101ec63eeaa6",
            "{purpose}" => "matching",
            "{provider}" => "parents",
            segment if segment.starts_with('{') => "x1",
            segment => segment,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `path` is an instance of `template` (`{…}` matches one segment).
fn instance_of(path: &str, template: &str) -> bool {
    let (segments, pattern): (Vec<_>, Vec<_>) = (path.split('/').collect(), template.split('/').collect());
    segments.len() == pattern.len()
        && segments
            .iter()
            .zip(&pattern)
            .all(|(segment, expected)| expected.starts_with('{') || segment == expected)
}

/// Every string literal in the server's source that looks like a route: what could be served.
fn route_literals() -> std::collections::BTreeSet<String> {
    fn visit(directory: &std::path::Path, found: &mut std::collections::BTreeSet<String>) {
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, found);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for literal in source.split('"').skip(1).step_by(2) {
                let route_like = literal.starts_with('/')
                    && literal.len() > 1
                    && literal
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/{}_-.".contains(c));
                if route_like {
                    found.insert(literal.to_owned());
                }
            }
        }
    }
    let mut found = std::collections::BTreeSet::new();
    visit(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src"),
        &mut found,
    );
    found
}

/// Sends `method` to `path` without credentials; `None` when no route answered (the router's own
/// 404 or 405), else the status.
async fn routed(app: &kosodate_tests::TestApp, method: &str, path: &str) -> Option<u16> {
    let response = app
        .client
        .request(method.to_uppercase().parse().unwrap(), app.url(path))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let unrouted = status == 405 || body["type"] == "/problems/no-such-route";
    (!unrouted).then_some(status)
}

/// Exact in both directions: every documented operation is served and reaches its handler (the
/// router matched its route: the metrics count it under the documented template), and every
/// route the server's source names under `/api/v1` answers only the documented methods.
async fn openapi_describes_the_routes_that_exist(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = call(app.get("/api/v1/openapi.json"), 200).await;
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (template, operations) in paths {
        for method in METHODS {
            let is_documented = operations.get(method).is_some();
            let status = routed(&app, method, &concrete(template)).await;
            match (is_documented, status) {
                (true, None) => panic!("{method} {template} is documented but not served"),
                (false, Some(status)) => {
                    panic!("{method} {template} is served ({status}) but not documented")
                }
                (true, Some(_)) => documented.push((method.to_uppercase(), template.clone())),
                (false, None) => {}
            }
        }
    }
    let metrics = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    for (method, template) in &documented {
        let counted = format!(r#"http_requests_total{{method="{method}",route="{template}""#);
        assert!(
            metrics.contains(&counted),
            "{method} {template} did not reach its own route"
        );
    }
    assert!(documented.len() >= 35, "{documented:?}");

    for literal in route_literals() {
        for candidate in [literal.clone(), format!("/api/v1{literal}")] {
            if !candidate.starts_with("/api/v1/")
                || paths.keys().any(|template| instance_of(&candidate, template))
            {
                continue;
            }
            for method in METHODS {
                let status = routed(&app, method, &concrete(&candidate)).await;
                assert!(
                    status.is_none(),
                    "{method} {candidate} is served ({status:?}) but not documented"
                );
            }
        }
    }

    let schemas = document["components"]["schemas"].as_object().unwrap();
    for schema in [
        "Program",
        "ProgramInput",
        "Problem",
        "Municipality",
        "ImportReport",
    ] {
        assert!(schemas.contains_key(schema), "schema {schema} missing");
    }
}
