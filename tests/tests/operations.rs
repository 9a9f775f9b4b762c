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
    assert!(!metrics.contains(AOMORI_CITY_TOKEN));
}

async fn openapi_describes_the_routes_that_exist(backend: Backend) {
    let app = spawn_app(backend).await;
    let document = call(app.get("/api/v1/openapi.json"), 200).await;
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 9);
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let concrete = path
                .replace("{code}", "022012")
                .replace("{id}", "01a2001e-955f-76f3-983c-101ec63eeaa6");
            let request = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete));
            let status = request.send().await.unwrap().status().as_u16();
            // Any answer but "no such route" or "method not allowed" proves the route exists.
            let not_routed = status == 405
                || (status == 404 && !concrete.contains("01a2001e") && !concrete.ends_with("022012"));
            assert!(
                !not_routed,
                "{method} {path} is documented but not served ({status})"
            );
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
