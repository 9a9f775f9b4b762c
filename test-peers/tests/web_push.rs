//! The Web Push channel against a push service on loopback that verifies VAPID and decrypts
//! with its own RFC 8291 implementation.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use kosodate_notifier::channels::web_push::{VapidKey, WebPushChannel};
use kosodate_notifier::{
    Address, Channel as _, ChannelKind, DeliveryError, Envelope, Link, PushSubscription, RenderedNotice,
    Urgency,
};
use kosodate_test_peers::web_push::{PushReceiver, RETRY_AFTER_SECONDS, ReceivedPush, Subscription};
use serde_json::json;
use url::Url;
use uuid::Uuid;

const SUBJECT: &str = "mailto:kosodate-ops@example.jp";
const WAIT: Duration = Duration::from_secs(10);

fn channel(vapid: VapidKey) -> WebPushChannel {
    WebPushChannel::new(vapid, SUBJECT.to_owned(), Duration::from_secs(10))
        .unwrap()
        .allow_insecure_endpoints(true)
}

fn site(path: &str) -> Url {
    Url::parse("https://kosodate.example.jp")
        .unwrap()
        .join(path)
        .unwrap()
}

fn notice() -> RenderedNotice {
    RenderedNotice {
        kind: kosodate_domain::NoticeKind::NewlyEligible,
        due_on: None,
        title: "児童手当の現況届を提出してください".to_owned(),
        body: "青森市にお住まいの保護者の方へ。児童手当を引き続き受け取るには、6月30日までに現況届の提出が必要です。"
            .to_owned(),
        short: "6月30日までに児童手当の現況届を提出してください".to_owned(),
        link: Some(Link { label: "詳しく見る".to_owned(), url: site("/programs/aomori-jidou-teate") }),
        actions: vec![
            Link { label: "申請済み".to_owned(), url: site("/notices/actions/applied?token=a1") },
            Link { label: "興味なし".to_owned(), url: site("/notices/actions/not-interested?token=a1") },
        ],
        unsubscribe: site("/unsubscribe?token=u1"),
        urgency: Urgency::High,
        time_to_live: Duration::from_secs(24 * 60 * 60),
    }
}

fn envelope_for(subscription: &Subscription, notice: RenderedNotice) -> Envelope {
    Envelope {
        notice_id: Uuid::now_v7(),
        address: Address::WebPush(PushSubscription {
            endpoint: Url::parse(&subscription.endpoint).unwrap(),
            p256dh: subscription.p256dh.clone(),
            auth: subscription.auth.clone(),
        }),
        notice,
    }
}

/// Delivers `notice` to a fresh subscription and returns what the receiver decrypted.
async fn delivered_through_a_receiver(notice: RenderedNotice) -> ReceivedPush {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    channel(VapidKey::generate())
        .deliver(&envelope_for(&subscription, notice))
        .await
        .unwrap();
    let push = receiver.wait_for_count(1, WAIT).await.unwrap().remove(0);
    assert_eq!(receiver.rejections(), []);
    push
}

#[tokio::test]
async fn a_push_decrypts_to_the_notice_with_its_headers_and_a_valid_vapid_token() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    let vapid = VapidKey::generate();
    let public_key = vapid.public_key_base64url();
    let channel = channel(vapid);
    let envelope = envelope_for(&subscription, notice());

    assert_eq!(channel.kind(), ChannelKind::WebPush);
    let delivered = channel.deliver(&envelope).await.unwrap();

    let received = receiver.wait_for_count(1, WAIT).await.unwrap();
    assert_eq!(receiver.rejections(), []);
    let push = &received[0];
    assert_eq!(push.subscription_id, subscription.id);
    assert_eq!(
        push.json,
        Some(json!({
            "title": "児童手当の現況届を提出してください",
            "body": "6月30日までに児童手当の現況届を提出してください",
            "url": "https://kosodate.example.jp/programs/aomori-jidou-teate",
            "actions": [
                {"title": "申請済み", "url": "https://kosodate.example.jp/notices/actions/applied?token=a1"},
                {"title": "興味なし", "url": "https://kosodate.example.jp/notices/actions/not-interested?token=a1"},
            ],
            "unsubscribe": "https://kosodate.example.jp/unsubscribe?token=u1",
            "tag": envelope.notice_id.to_string(),
        }))
    );
    assert_eq!(push.ttl, 24 * 60 * 60);
    assert_eq!(push.urgency.as_deref(), Some("high"));
    assert_eq!(
        push.topic,
        Some(URL_SAFE_NO_PAD.encode(envelope.notice_id.as_bytes()))
    );
    assert_eq!(push.vapid.public_key, public_key);
    assert_eq!(push.vapid.subject, SUBJECT);
    assert_eq!(push.vapid.audience, receiver.origin());
    assert!(push.vapid.audience_has_port);
    assert!(
        delivered
            .provider_id
            .unwrap()
            .starts_with(&format!("{}/messages/", receiver.origin()))
    );
}

#[tokio::test]
async fn normal_urgency_a_missing_link_and_the_ttl_are_passed_on() {
    let notice = RenderedNotice {
        kind: kosodate_domain::NoticeKind::NewlyEligible,
        due_on: None,
        link: None,
        urgency: Urgency::Normal,
        time_to_live: Duration::from_secs(3600),
        ..notice()
    };

    let push = delivered_through_a_receiver(notice).await;

    assert_eq!(push.urgency.as_deref(), Some("normal"));
    assert_eq!(push.ttl, 3600);
    assert_eq!(push.json.unwrap()["url"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_repeat_of_a_notice_carries_the_same_topic() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    let channel = channel(VapidKey::generate());
    let envelope = envelope_for(&subscription, notice());

    channel.deliver(&envelope).await.unwrap();
    channel.deliver(&envelope).await.unwrap();

    let received = receiver.wait_for_count(2, WAIT).await.unwrap();
    assert_eq!(receiver.rejections(), []);
    assert_eq!(received[0].topic, received[1].topic);
}

#[tokio::test]
async fn a_body_too_long_for_one_push_is_shortened() {
    let long = "申請には保険証と通帳が必要です。".repeat(300);
    let notice = RenderedNotice {
        kind: kosodate_domain::NoticeKind::NewlyEligible,
        due_on: None,
        short: long.clone(),
        ..notice()
    };

    let push = delivered_through_a_receiver(notice).await;

    assert!(push.body_bytes <= 4096, "{} bytes", push.body_bytes);
    let body = push.json.unwrap()["body"].as_str().unwrap().to_owned();
    assert!(body.len() < long.len());
    assert!(body.starts_with("申請には保険証と通帳が必要です。"));
    assert!(body.ends_with('…'));
}

#[tokio::test]
async fn a_gone_subscription_is_reported_as_address_gone() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    receiver.mark_gone(&subscription);

    let outcome = channel(VapidKey::generate())
        .deliver(&envelope_for(&subscription, notice()))
        .await;

    assert!(
        matches!(outcome, Err(DeliveryError::AddressGone { .. })),
        "{outcome:?}"
    );
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn rate_limiting_is_transient_with_the_retry_after_and_the_retry_succeeds() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    let channel = channel(VapidKey::generate());
    let envelope = envelope_for(&subscription, notice());
    receiver.fail_next(1, StatusCode::TOO_MANY_REQUESTS);

    let outcome = channel.deliver(&envelope).await;

    let Err(DeliveryError::Transient { retry_after, .. }) = outcome else {
        panic!("expected a transient failure, got {outcome:?}");
    };
    assert_eq!(retry_after, Some(Duration::from_secs(RETRY_AFTER_SECONDS)));
    channel.deliver(&envelope).await.unwrap();
    assert_eq!(receiver.wait_for_count(1, WAIT).await.unwrap().len(), 1);
    assert_eq!(receiver.rejections(), []);
}

#[tokio::test]
async fn a_server_error_is_transient() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    receiver.fail_next(1, StatusCode::INTERNAL_SERVER_ERROR);

    let outcome = channel(VapidKey::generate())
        .deliver(&envelope_for(&subscription, notice()))
        .await;

    assert!(
        matches!(
            outcome,
            Err(DeliveryError::Transient {
                retry_after: None,
                ..
            })
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_push_encrypted_for_other_keys_is_refused_by_the_receiver() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    let other = receiver.subscribe();
    let mismatched = Subscription {
        auth: other.auth,
        ..subscription
    };

    let outcome = channel(VapidKey::generate())
        .deliver(&envelope_for(&mismatched, notice()))
        .await;

    assert!(
        matches!(outcome, Err(DeliveryError::Rejected { .. })),
        "{outcome:?}"
    );
    let rejections = receiver.rejections();
    assert_eq!(rejections.len(), 1);
    assert!(
        rejections[0].reason.contains("authentication failed"),
        "{rejections:?}"
    );
}

#[tokio::test]
async fn without_the_insecure_option_loopback_endpoints_are_refused() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    let channel =
        WebPushChannel::new(VapidKey::generate(), SUBJECT.to_owned(), Duration::from_secs(10)).unwrap();
    let https_loopback = Subscription {
        endpoint: subscription.endpoint.replacen("http:", "https:", 1),
        ..subscription.clone()
    };

    for refused in [&subscription, &https_loopback] {
        let outcome = channel.deliver(&envelope_for(refused, notice())).await;
        let Err(DeliveryError::AddressGone { reason }) = outcome else {
            panic!("expected the endpoint to be refused, got {outcome:?}");
        };
        assert!(
            reason.contains("https") || reason.contains("non-public"),
            "{reason}"
        );
    }
    assert!(receiver.received().is_empty());
    assert_eq!(receiver.rejections(), []);
}

#[tokio::test]
async fn a_vapid_key_restored_from_base64url_signs_as_the_original() {
    let receiver = PushReceiver::start().await.unwrap();
    let subscription = receiver.subscribe();
    let original = VapidKey::generate();
    let stored = original.to_base64url();

    let restored = VapidKey::from_base64url(&stored).unwrap();

    assert_eq!(restored.public_key_base64url(), original.public_key_base64url());
    assert_eq!(restored.to_base64url(), stored);
    assert!(!format!("{restored:?}").contains(&stored));
    channel(restored)
        .deliver(&envelope_for(&subscription, notice()))
        .await
        .unwrap();
    let push = receiver.wait_for_count(1, WAIT).await.unwrap().remove(0);
    assert_eq!(push.vapid.public_key, original.public_key_base64url());
    assert!(VapidKey::from_base64url("bm90IGEga2V5").is_err());
}
