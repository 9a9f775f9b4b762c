//! `LineChannel` against the LINE push contract server: every request must pass the contract,
//! and each documented answer must become the right delivery outcome.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use kosodate_domain::LineUserId;
use kosodate_notifier::channels::line::{LineChannel, MAX_TEXT_UTF16};
use kosodate_notifier::{
    Address, Channel, Delivered, DeliveryError, Envelope, Link, RenderedNotice, Urgency,
};
use kosodate_test_peers::line::LineContractServer;
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

const TOKEN: &str = "Zm9vYmFy+channel/access=token";
const USER: &str = "U4af4980629a1b2c3d4e5f60718293a4b";

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

fn notice(body: &str) -> RenderedNotice {
    RenderedNotice {
        kind: kosodate_domain::NoticeKind::NewlyEligible,
        due_on: None,
        title: "児童手当の申請期限が近づいています".to_owned(),
        body: body.to_owned(),
        short: "児童手当の申請は9月30日まで".to_owned(),
        link: Some(Link {
            label: "詳しく見る・申請する".to_owned(),
            url: url("https://kosodate.example.jp/p/1"),
        }),
        actions: vec![
            Link {
                label: "申請済み".to_owned(),
                url: url("https://kosodate.example.jp/a/applied"),
            },
            Link {
                label: "興味なし".to_owned(),
                url: url("https://kosodate.example.jp/a/not-interested"),
            },
        ],
        unsubscribe: url("https://kosodate.example.jp/unsubscribe/line/abc"),
        urgency: Urgency::Normal,
        time_to_live: Duration::from_secs(86_400),
    }
}

fn envelope_to(user: &str, body: &str) -> Envelope {
    Envelope {
        notice_id: Uuid::now_v7(),
        address: Address::Line(LineUserId::parse(user).unwrap()),
        notice: notice(body),
    }
}

fn envelope(body: &str) -> Envelope {
    envelope_to(USER, body)
}

fn channel_for(server: &LineContractServer, token: &str, timeout: Duration) -> LineChannel {
    LineChannel::new(url(&server.base_url()), token.to_owned(), timeout).unwrap()
}

async fn start() -> (LineContractServer, LineChannel) {
    let server = LineContractServer::start(TOKEN).await.unwrap();
    let channel = channel_for(&server, TOKEN, Duration::from_secs(10));
    (server, channel)
}

#[tokio::test]
async fn a_notice_passes_every_check_and_is_delivered_once() {
    let (server, channel) = start().await;
    let envelope = envelope("申請は9月30日までです。お忘れなく。");

    let delivered = channel.deliver(&envelope).await.unwrap();

    assert!(server.rejections().is_empty(), "{:?}", server.rejections());
    let pushes = server.delivered();
    assert_eq!(pushes.len(), 1);
    let push = &pushes[0];
    assert_eq!(push.retry_key, envelope.notice_id);
    assert_eq!(push.to, USER);
    assert_eq!(
        delivered,
        Delivered {
            provider_id: Some(push.sent_message_ids[0].clone()),
            repeat: false
        }
    );
    assert_eq!(push.messages.len(), 1);
    assert_eq!(push.messages[0]["type"], "text");
    let text = push.texts()[0];
    for expected in [
        "児童手当の申請期限が近づいています",
        "申請は9月30日までです。お忘れなく。",
        "詳しく見る・申請する\nhttps://kosodate.example.jp/p/1",
        "申請済み\nhttps://kosodate.example.jp/a/applied",
        "興味なし\nhttps://kosodate.example.jp/a/not-interested",
        "https://kosodate.example.jp/unsubscribe/line/abc",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from {text:?}");
    }
}

#[tokio::test]
async fn a_retry_with_the_same_notice_id_is_a_repeat_and_not_sent_again() {
    let (server, channel) = start().await;
    let envelope = envelope("本文");

    let first = channel.deliver(&envelope).await.unwrap();
    let second = channel.deliver(&envelope).await.unwrap();

    assert!(!first.repeat);
    assert_eq!(
        second,
        Delivered {
            provider_id: first.provider_id,
            repeat: true
        }
    );
    assert_eq!(server.delivered_count(), 1);
    assert_eq!(server.repeats_dropped(), 1);
    assert!(server.rejections().is_empty(), "{:?}", server.rejections());
}

#[tokio::test]
async fn a_push_accepted_before_its_answer_was_lost_is_a_repeat_on_retry() {
    let (server, channel) = start().await;
    let envelope = envelope("本文");
    server.fail_next_after_accepting(1, 500);

    let lost = channel.deliver(&envelope).await;
    let retried = channel.deliver(&envelope).await.unwrap();

    assert!(matches!(lost, Err(DeliveryError::Transient { .. })), "{lost:?}");
    assert!(retried.repeat);
    assert_eq!(
        retried.provider_id.as_ref(),
        server.delivered()[0].sent_message_ids.first()
    );
    assert_eq!(server.delivered_count(), 1);
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_transient_and_then_delivered() {
    let (server, channel) = start().await;
    let envelope = envelope("本文");
    server.fail_next(1, 429);
    server.fail_next_with(
        1,
        429,
        "You have reached your monthly limit.",
        Some(Duration::from_secs(60)),
    );
    server.fail_next(1, 500);

    let rate_limited = channel.deliver(&envelope).await;
    let Err(DeliveryError::Transient {
        reason,
        retry_after: None,
    }) = rate_limited
    else {
        panic!("{rate_limited:?}")
    };
    assert!(reason.contains("Too Many Requests"), "{reason}");
    let monthly = channel.deliver(&envelope).await;
    let Err(DeliveryError::Transient { reason, retry_after }) = monthly else {
        panic!("{monthly:?}")
    };
    assert!(reason.contains("monthly limit"), "{reason}");
    assert_eq!(retry_after, Some(Duration::from_secs(60)));
    let unavailable = channel.deliver(&envelope).await;
    assert!(
        matches!(unavailable, Err(DeliveryError::Transient { .. })),
        "{unavailable:?}"
    );

    let delivered = channel.deliver(&envelope).await.unwrap();
    assert!(!delivered.repeat);
    assert_eq!(server.delivered_count(), 1);
    assert_eq!(server.requests_seen(), 4);
}

#[tokio::test]
async fn a_wrong_token_is_rejected_and_never_shown() {
    let (server, _) = start().await;
    let channel = channel_for(&server, "wrong-token", Duration::from_secs(10));

    let refused = channel.deliver(&envelope("本文")).await;

    let Err(DeliveryError::Rejected { reason }) = refused else {
        panic!("{refused:?}")
    };
    assert!(reason.contains("Authentication failed"), "{reason}");
    assert!(!reason.contains("wrong-token"), "{reason}");
    assert_eq!(server.delivered_count(), 0);
    let rejections = server.rejections();
    assert_eq!(rejections.len(), 1);
    assert_eq!(rejections[0].status, 401);
}

#[tokio::test]
async fn a_user_id_line_does_not_know_is_gone() {
    let (server, channel) = start().await;
    server.forget_user(USER);

    let gone = channel.deliver(&envelope("本文")).await;

    let Err(DeliveryError::AddressGone { reason }) = gone else {
        panic!("{gone:?}")
    };
    assert!(reason.contains("Failed to send messages"), "{reason}");
    assert!(!reason.contains(USER), "{reason}");
    assert_eq!(server.delivered_count(), 0);
    assert!(server.rejections().is_empty(), "{:?}", server.rejections());
}

/// LINE documents a 200 for a user who blocked the account: the push looks delivered and nothing
/// arrives. Only the `unfollow` webhook event can switch the channel off.
#[tokio::test]
async fn a_user_who_blocked_the_account_is_answered_as_delivered() {
    let (server, channel) = start().await;
    server.block(USER);

    let answered = channel.deliver(&envelope("本文")).await.unwrap();

    assert!(!answered.repeat);
    assert!(answered.provider_id.is_some());
    assert_eq!(server.delivered_count(), 0);
    assert_eq!(server.blocked_drops(), 1);
    assert!(server.rejections().is_empty(), "{:?}", server.rejections());
}

#[tokio::test]
async fn a_long_body_stays_within_lines_limits() {
    let (server, channel) = start().await;
    // Surrogate pairs count twice: this body is 2,000 characters but 16,000 UTF-16 units.
    let body = "保育料の軽減について🍎🍎🍎。".repeat(2_000);

    channel.deliver(&envelope(&body)).await.unwrap();

    assert!(server.rejections().is_empty(), "{:?}", server.rejections());
    let text = server.delivered()[0].texts()[0].to_owned();
    assert!(text.encode_utf16().count() <= MAX_TEXT_UTF16);
    assert!(text.contains("続きはリンク先をご覧ください"));
    assert!(text.ends_with("https://kosodate.example.jp/unsubscribe/line/abc"));
}

#[tokio::test]
async fn no_answer_in_time_and_no_server_are_transient() {
    let (server, _) = start().await;
    server.set_latency(Duration::from_secs(5));
    let impatient = channel_for(&server, TOKEN, Duration::from_millis(200));
    let timed_out = impatient.deliver(&envelope("本文")).await;
    assert!(
        matches!(timed_out, Err(DeliveryError::Transient { .. })),
        "{timed_out:?}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let channel = LineChannel::new(url(&nowhere), TOKEN.to_owned(), Duration::from_secs(2)).unwrap();
    let refused = channel.deliver(&envelope("本文")).await;
    assert!(
        matches!(refused, Err(DeliveryError::Transient { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn many_concurrent_notices_are_each_delivered_once() {
    let (server, channel) = start().await;
    let count = 400;

    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..count {
        let envelope = envelope(&format!("お知らせ {n}"));
        let channel = channel.clone();
        tasks.spawn(async move { channel.deliver(&envelope).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert!(!result.unwrap().unwrap().repeat);
    }

    assert!(server.wait_for_count(count, Duration::from_secs(10)).await);
    assert!(server.rejections().is_empty(), "{:?}", server.rejections());
}

/// A raw client for the contract server's own tests, which must send what `LineChannel` never does.
struct RawClient {
    client: reqwest::Client,
    push_url: String,
}

impl RawClient {
    fn new(server: &LineContractServer) -> Self {
        let push_url = format!("{}/v2/bot/message/push", server.base_url());
        Self {
            client: reqwest::Client::new(),
            push_url,
        }
    }

    async fn push(&self, body: Value, retry_key: Option<&str>, token: &str) -> reqwest::Response {
        let mut request = self.client.post(&self.push_url).bearer_auth(token).json(&body);
        if let Some(retry_key) = retry_key {
            request = request.header("X-Line-Retry-Key", retry_key);
        }
        request.send().await.unwrap()
    }
}

fn text_messages(texts: &[&str]) -> Value {
    texts
        .iter()
        .map(|text| json!({ "type": "text", "text": text }))
        .collect()
}

/// The contract server itself: requests the real LINE would refuse are refused and recorded.
#[tokio::test]
async fn the_contract_server_refuses_what_line_would_refuse() {
    let server = LineContractServer::start(TOKEN).await.unwrap();
    let raw = RawClient::new(&server);
    let key = Uuid::now_v7().to_string();
    let key = Some(key.as_str());
    let hello = text_messages(&["こんにちは"]);
    let apples = "🍎".repeat(2_501);
    let bodies_refused_with_400 = [
        json!({ "to": "Uabc", "messages": hello }),
        json!({ "to": USER, "messages": text_messages(&["x"; 6]) }),
        json!({ "to": USER, "messages": text_messages(&[""]) }),
        json!({ "to": USER, "messages": text_messages(&[&apples]) }),
        json!({ "to": USER, "messages": [{ "type": "sticker", "packageId": "446", "stickerId": "1988" }] }),
        json!({ "to": USER, "messages": hello, "extra": 1 }),
    ];
    let valid = json!({ "to": USER, "messages": hello });
    let mut refused = vec![
        (raw.push(valid.clone(), None, TOKEN).await, 400),
        (raw.push(valid.clone(), Some("not-a-uuid"), TOKEN).await, 400),
        (raw.push(valid.clone(), key, "other").await, 401),
        (raw.client.get(&raw.push_url).send().await.unwrap(), 405),
        (
            raw.client
                .post(&raw.push_url)
                .bearer_auth(TOKEN)
                .body("{}")
                .send()
                .await
                .unwrap(),
            415,
        ),
    ];
    for body in bodies_refused_with_400 {
        refused.push((raw.push(body, key, TOKEN).await, 400));
    }

    let expected = refused.len();
    for (index, (response, status)) in refused.into_iter().enumerate() {
        assert_eq!(response.status().as_u16(), status, "request {index}");
        assert!(
            response.headers().contains_key("x-line-request-id"),
            "request {index}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].is_string(), "request {index}: {body}");
    }
    assert_eq!(server.rejections().len(), expected, "{:#?}", server.rejections());
    assert_eq!(server.delivered_count(), 0);
}

#[tokio::test]
async fn the_contract_server_answers_an_accepted_retry_key_with_409() {
    let server = LineContractServer::start(TOKEN).await.unwrap();
    let raw = RawClient::new(&server);
    let key = Uuid::now_v7().to_string();
    let valid = json!({ "to": USER, "messages": text_messages(&["一通目", "二通目"]) });

    let accepted = raw.push(valid.clone(), Some(&key), TOKEN).await;
    assert_eq!(accepted.status(), 200);
    let request_id = accepted.headers()["x-line-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let sent: Value = accepted.json().await.unwrap();
    let sent_messages = sent["sentMessages"].as_array().unwrap();
    assert_eq!(sent_messages.len(), 2);
    assert!(
        sent_messages
            .iter()
            .all(|sent| sent["id"].is_string() && sent["quoteToken"].is_string())
    );

    let repeated = raw.push(valid, Some(&key), TOKEN).await;
    assert_eq!(repeated.status(), 409);
    assert_eq!(
        repeated.headers()["x-line-accepted-request-id"].to_str().unwrap(),
        request_id
    );
    let conflict: Value = repeated.json().await.unwrap();
    assert_eq!(conflict["message"], "The retry key is already accepted");
    assert_eq!(conflict["sentMessages"], sent["sentMessages"]);
    assert_eq!(server.delivered_count(), 1);
    assert_eq!(server.repeats_dropped(), 1);
    assert_eq!(server.requests_seen(), 2);
    assert!(server.rejections().is_empty(), "{:?}", server.rejections());
}
