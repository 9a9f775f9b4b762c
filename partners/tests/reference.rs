//! Our Standard Webhooks signatures against the specification's reference implementation (the
//! `standardwebhooks` crate): each side verifies what the other signs.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::Utc;
use http::HeaderMap;
use kosodate_partners::standard_webhooks::{self, SigningSecret};

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, value.parse().unwrap());
    }
    map
}

#[test]
fn the_reference_implementation_verifies_our_signatures() {
    let secret = SigningSecret::generate();
    let body = br#"{"type":"program.changed","data":{"id":"x"}}"#;
    let signed = standard_webhooks::sign([&secret], "msg_1", Utc::now(), body);
    let reference = standardwebhooks::Webhook::new(secret.expose()).unwrap();
    reference.verify(body, &headers(&signed.pairs())).unwrap();
}

#[test]
fn we_verify_the_reference_implementations_signatures_and_its_published_vector() {
    let secret = SigningSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let reference = standardwebhooks::Webhook::new(secret.expose()).unwrap();
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    assert_eq!(
        reference
            .sign("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body)
            .unwrap(),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
    let at = chrono::DateTime::from_timestamp(1_649_367_553, 0).unwrap();
    let ours = standard_webhooks::sign([&secret], "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", at, body);
    assert_eq!(ours.signature, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    let now = Utc::now();
    let signature = reference.sign("msg_2", now.timestamp(), body).unwrap();
    let received = headers(&[
        (standard_webhooks::HEADER_ID, "msg_2".into()),
        (standard_webhooks::HEADER_TIMESTAMP, now.timestamp().to_string()),
        (standard_webhooks::HEADER_SIGNATURE, signature),
    ]);
    assert!(standard_webhooks::verify(&secret, &received, body, now).is_ok());
}
