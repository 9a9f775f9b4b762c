//! The test partner against requests signed by the service's own Standard Webhooks signer: it
//! takes what the reference implementation verifies, once per `webhook-id`, refuses the rest,
//! and answers as planned.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use kosodate_partners::standard_webhooks::{self, SigningSecret};
use kosodate_test_peers::partner::{Answer, PartnerServer};

async fn send(
    partner: &PartnerServer,
    secret: &SigningSecret,
    id: &str,
    at: chrono::DateTime<Utc>,
    body: &str,
) -> reqwest::Result<reqwest::Response> {
    let signed = standard_webhooks::sign([secret], id, at, body.as_bytes());
    let mut request = reqwest::Client::new()
        .post(partner.hook_url())
        .timeout(Duration::from_millis(500))
        .header("content-type", "application/json");
    for (name, value) in signed.pairs() {
        request = request.header(name, value);
    }
    request.body(body.to_owned()).send().await
}

#[tokio::test]
async fn takes_a_signed_delivery_once_and_drops_its_replay() {
    let partner = PartnerServer::start().await.unwrap();
    let secret = SigningSecret::generate();
    partner.set_secret(secret.expose());
    let body = r#"{"type":"program.changed","data":{"id":"p1"}}"#;
    let first = send(&partner, &secret, "msg_1", Utc::now(), body).await.unwrap();
    assert_eq!(first.status().as_u16(), 204);
    let replay = send(&partner, &secret, "msg_1", Utc::now(), body).await.unwrap();
    assert_eq!(replay.status().as_u16(), 200, "a replay is acknowledged");
    let received = partner.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].id, "msg_1");
    assert_eq!(received[0].body["data"]["id"], "p1");
    assert_eq!((partner.replays_dropped(), partner.requests_seen()), (1, 2));
}

#[tokio::test]
async fn refuses_a_wrong_secret_a_stale_timestamp_and_a_changed_body() {
    let partner = PartnerServer::start().await.unwrap();
    let secret = SigningSecret::generate();
    let body = r#"{"type":"program.changed"}"#;
    let before_secret = send(&partner, &secret, "msg_0", Utc::now(), body).await.unwrap();
    assert_eq!(before_secret.status().as_u16(), 401);
    partner.set_secret(secret.expose());
    let stranger = SigningSecret::generate();
    let stale = Utc::now() - TimeDelta::minutes(6);
    for (signer, at) in [
        (&stranger, Utc::now()),
        (&secret, stale),
        (&secret, Utc::now() + TimeDelta::minutes(6)),
    ] {
        let refused = send(&partner, signer, "msg_1", at, body).await.unwrap();
        assert_eq!(refused.status().as_u16(), 401);
    }
    let signed = standard_webhooks::sign([&secret], "msg_2", Utc::now(), body.as_bytes());
    let mut tampered = reqwest::Client::new().post(partner.hook_url());
    for (name, value) in signed.pairs() {
        tampered = tampered.header(name, value);
    }
    let refused = tampered.body(r#"{"type":"place.changed"}"#).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(partner.rejections().len(), 5, "{:?}", partner.rejections());
    assert!(partner.received().is_empty());
}

#[tokio::test]
async fn answers_as_planned_then_204() {
    let partner = PartnerServer::start().await.unwrap();
    let secret = SigningSecret::generate();
    partner.set_secret(secret.expose());
    partner.plan([
        Answer::Status(503),
        Answer::Status(410),
        Answer::TakeAndStall(Duration::from_secs(2)),
    ]);
    let body = "{}";
    let status = |response: reqwest::Response| response.status().as_u16();
    assert_eq!(
        status(send(&partner, &secret, "msg_a", Utc::now(), body).await.unwrap()),
        503
    );
    assert_eq!(
        status(send(&partner, &secret, "msg_b", Utc::now(), body).await.unwrap()),
        410
    );
    assert!(partner.received().is_empty(), "a refusal takes nothing");
    let stalled = send(&partner, &secret, "msg_c", Utc::now(), body).await;
    assert!(stalled.unwrap_err().is_timeout(), "the sender's timeout runs out");
    assert_eq!(
        status(send(&partner, &secret, "msg_c", Utc::now(), body).await.unwrap()),
        200
    );
    assert_eq!(
        status(send(&partner, &secret, "msg_a", Utc::now(), body).await.unwrap()),
        204
    );
    let ids: Vec<String> = partner.received().into_iter().map(|webhook| webhook.id).collect();
    assert_eq!(ids, ["msg_c", "msg_a"]);
    assert_eq!(partner.replays_dropped(), 1);
}
