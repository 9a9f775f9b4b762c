//! The LINE Messaging API push channel: one `POST /v2/bot/message/push` per notice, carrying the
//! notice id as `X-Line-Retry-Key`. LINE executes a request with a given retry key at most once and
//! answers a repeat with 409, so an attempt whose response was lost (a timeout, a 5xx after LINE
//! had accepted it) can be retried without the parent reading the notice twice.
//!
//! What LINE documents, and this module follows:
//! - request, response and error bodies:
//!   <https://developers.line.biz/en/reference/messaging-api/#send-push-message> and
//!   <https://github.com/line/line-openapi/blob/main/messaging-api.yml>
//! - the retry key, 409 and which statuses are worth retrying:
//!   <https://developers.line.biz/en/docs/messaging-api/retrying-api-request/>
//! - text length is counted in UTF-16 code units, at most 5,000 per text message:
//!   <https://developers.line.biz/en/docs/messaging-api/text-character-count/>
//! - a user who blocked the account is answered 200 and silently skipped; a user id LINE does not
//!   know is answered 400 `"Failed to send messages"`: <https://developers.line.biz/en/faq/tags/message/>
//!
//! Because LINE answers 200 for a user who blocked the account, this channel cannot tell that the
//! address is gone; only the `unfollow` webhook event says so.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use url::Url;

use super::retry_after;
use crate::channel::{Address, Channel, ChannelKind, Delivered, DeliveryError, Envelope, RenderedNotice};

/// Where LINE serves the Messaging API.
pub const DEFAULT_BASE_URL: &str = "https://api.line.me";

/// LINE's limit for one text message, in UTF-16 code units.
pub const MAX_TEXT_UTF16: usize = 5_000;

const RETRY_KEY_HEADER: &str = "x-line-retry-key";
const REQUEST_ID_HEADER: &str = "x-line-request-id";
const ACCEPTED_REQUEST_ID_HEADER: &str = "x-line-accepted-request-id";

/// What LINE says for a well-formed user id it cannot deliver to (one that never existed, or one
/// issued by another provider): per the FAQ, such an id will never work for this channel.
const UNKNOWN_USER_MESSAGE: &str = "Failed to send messages";

/// A title is one line in LINE's chat list preview; past this length it only pushes the body down.
const MAX_TITLE_UTF16: usize = 200;

/// Reasons are stored with the notice; LINE's error details can list many properties.
const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum LineChannelError {
    #[error("the LINE API base url must be an http or https url with a host")]
    BaseUrl,
    #[error("the LINE channel access token must be non-empty printable ascii")]
    AccessToken,
    #[error("cannot build the http client for LINE")]
    Client(#[source] reqwest::Error),
}

/// Delivers notices as LINE push messages to users who added the official account as a friend.
#[derive(Clone)]
pub struct LineChannel {
    client: reqwest::Client,
    push_url: Url,
    /// `Bearer {token}`, marked sensitive so that neither this type nor reqwest ever prints it.
    authorization: HeaderValue,
}

impl fmt::Debug for LineChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineChannel")
            .field("push_url", &self.push_url.as_str())
            .field("channel_access_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl LineChannel {
    /// `base_url` is [`DEFAULT_BASE_URL`] in production; `timeout` bounds each whole attempt.
    pub fn new(
        base_url: Url,
        channel_access_token: String,
        timeout: Duration,
    ) -> Result<Self, LineChannelError> {
        let push_url = push_url(base_url)?;
        let authorization = bearer(channel_access_token)?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(LineChannelError::Client)?;
        Ok(Self {
            client,
            push_url,
            authorization,
        })
    }
}

fn push_url(mut base_url: Url) -> Result<Url, LineChannelError> {
    if !matches!(base_url.scheme(), "http" | "https") || base_url.host().is_none() {
        return Err(LineChannelError::BaseUrl);
    }
    base_url.set_query(None);
    base_url.set_fragment(None);
    base_url
        .path_segments_mut()
        .map_err(|()| LineChannelError::BaseUrl)?
        .pop_if_empty()
        .extend(["v2", "bot", "message", "push"]);
    Ok(base_url)
}

fn bearer(channel_access_token: String) -> Result<HeaderValue, LineChannelError> {
    if channel_access_token.is_empty() || !channel_access_token.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(LineChannelError::AccessToken);
    }
    let mut value = channel_access_token;
    value.insert_str(0, "Bearer ");
    let mut header = HeaderValue::try_from(value).map_err(|_| LineChannelError::AccessToken)?;
    header.set_sensitive(true);
    Ok(header)
}

#[async_trait::async_trait]
impl Channel for LineChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Line
    }

    fn drops_repeats(&self) -> bool {
        true
    }

    async fn deliver(&self, envelope: &Envelope) -> Result<Delivered, DeliveryError> {
        let Address::Line(user_id) = &envelope.address else {
            return Err(DeliveryError::Rejected {
                reason: format!("the LINE channel cannot deliver to {:?}", envelope.address),
            });
        };
        let request = PushRequest {
            to: user_id.as_str(),
            messages: vec![TextMessage {
                kind: "text",
                text: render_text(&envelope.notice),
            }],
        };
        let response = self
            .client
            .post(self.push_url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(RETRY_KEY_HEADER, envelope.notice_id.hyphenated().to_string())
            .json(&request)
            .send()
            .await
            .map_err(|error| transport_failure(&error))?;
        let status = response.status();
        let headers = response.headers().clone();
        // A 200 whose body was cut off is still an accepted push; the body only adds the message id.
        let body = response.bytes().await.unwrap_or_default();
        outcome(status, &headers, &body, user_id.as_str())
    }
}

#[derive(Serialize)]
struct PushRequest<'a> {
    to: &'a str,
    messages: Vec<TextMessage>,
}

#[derive(Serialize)]
struct TextMessage {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SentMessages {
    #[serde(default)]
    sent_messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
    property: Option<String>,
}

fn transport_failure(error: &reqwest::Error) -> DeliveryError {
    // LINE may have accepted a push whose response never arrived; the retry key makes retrying safe.
    let reason = if error.is_timeout() {
        "no answer from LINE in time".to_owned()
    } else {
        let mut reason = format!("request to LINE failed: {error}");
        let mut source = error.source();
        while let Some(cause) = source {
            reason.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        reason
    };
    DeliveryError::Transient {
        reason,
        retry_after: None,
    }
}

fn outcome(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    user_id: &str,
) -> Result<Delivered, DeliveryError> {
    if status.is_success() {
        let provider_id = first_sent_message_id(body).or_else(|| header_text(headers, REQUEST_ID_HEADER));
        return Ok(Delivered {
            provider_id,
            repeat: false,
        });
    }
    // The one 409 LINE documents for push: an earlier request with this retry key was accepted.
    if status == StatusCode::CONFLICT {
        let provider_id =
            first_sent_message_id(body).or_else(|| header_text(headers, ACCEPTED_REQUEST_ID_HEADER));
        return Ok(Delivered {
            provider_id,
            repeat: true,
        });
    }
    let error: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let said = describe_error(status, headers, &error, user_id);
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => DeliveryError::Transient {
            reason: format!("rate or monthly message limit at LINE: {said}"),
            retry_after: retry_after(headers),
        },
        StatusCode::REQUEST_TIMEOUT => DeliveryError::Transient {
            reason: format!("timeout at LINE: {said}"),
            retry_after: None,
        },
        status if status.is_server_error() => DeliveryError::Transient {
            reason: format!("server error at LINE: {said}"),
            retry_after: retry_after(headers),
        },
        StatusCode::UNAUTHORIZED => DeliveryError::Rejected {
            reason: format!("the channel access token was refused: {said}"),
        },
        StatusCode::FORBIDDEN => DeliveryError::Rejected {
            reason: format!("this channel may not send push messages: {said}"),
        },
        StatusCode::BAD_REQUEST if names_unreachable_user(&error) => DeliveryError::AddressGone {
            reason: format!("the user id is unknown to LINE: {said}"),
        },
        status if status.is_client_error() => DeliveryError::Rejected {
            reason: format!("the message was refused: {said}"),
        },
        _ => DeliveryError::Transient {
            reason: format!("unexpected answer from LINE: {said}"),
            retry_after: None,
        },
    })
}

/// A 400 about the recipient rather than the message: LINE does not know the id, or refuses it as
/// the `to` property. Our ids are well-formed (`LineUserId` checks that), so either way the id will
/// never work for this channel.
fn names_unreachable_user(error: &ErrorBody) -> bool {
    error.message == UNKNOWN_USER_MESSAGE
        || error.message.starts_with("The property, 'to',")
        || error
            .details
            .iter()
            .any(|detail| detail.property.as_deref() == Some("to"))
}

fn describe_error(status: StatusCode, headers: &HeaderMap, error: &ErrorBody, user_id: &str) -> String {
    let mut said = format!("status {}", status.as_u16());
    if !error.message.is_empty() {
        said.push_str(&format!(", \"{}\"", error.message));
    }
    for detail in &error.details {
        let property = detail.property.as_deref().unwrap_or("-");
        let message = detail.message.as_deref().unwrap_or("-");
        said.push_str(&format!("; {property}: {message}"));
    }
    if let Some(request_id) = header_text(headers, REQUEST_ID_HEADER) {
        said.push_str(&format!(" (request id {request_id})"));
    }
    // LINE's texts do not echo the recipient today; the reason is stored, so make sure of it.
    let said = said.replace(user_id, "<user id>");
    match said.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &said[..cut]),
        None => said,
    }
}

fn first_sent_message_id(body: &[u8]) -> Option<String> {
    let sent: SentMessages = serde_json::from_slice(body).ok()?;
    sent.sent_messages.into_iter().next().map(|message| message.id)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3). LINE does not document
/// sending it, but proxies in front of it may.
/// The notice as one LINE text message, in Japanese, within [`MAX_TEXT_UTF16`]. The title, links
/// and unsubscribe line are kept whole; the body gives way, because the link leads to all of it.
fn render_text(notice: &RenderedNotice) -> String {
    let title = format!("【{}】", truncate_utf16(notice.title.trim(), MAX_TITLE_UTF16));
    let links = render_links(notice);
    let frame_length = utf16_len(&title) + utf16_len(&links) + utf16_len("\n\n\n\n");
    let body = fit_body(
        notice.body.trim(),
        MAX_TEXT_UTF16.saturating_sub(frame_length),
        notice.link.is_some(),
    );
    let text = match body.is_empty() {
        true => format!("{title}\n\n{links}"),
        false => format!("{title}\n\n{body}\n\n{links}"),
    };
    // Only absurdly long URLs get here; a cut link beats a message LINE refuses.
    truncate_utf16(&text, MAX_TEXT_UTF16).to_owned()
}

fn render_links(notice: &RenderedNotice) -> String {
    let mut sections = Vec::new();
    if let Some(link) = &notice.link {
        sections.push(format!("▶ {}\n{}", link.label, link.url));
    }
    if !notice.actions.is_empty() {
        let mut actions = String::from("当てはまるものを選ぶと、この制度のお知らせは届かなくなります。");
        for action in &notice.actions {
            actions.push_str(&format!("\n▶ {}\n{}", action.label, action.url));
        }
        sections.push(actions);
    }
    sections.push(format!(
        "LINEでのお知らせの配信停止はこちら\n{}",
        notice.unsubscribe
    ));
    sections.join("\n\n")
}

fn fit_body(body: &str, budget: usize, has_link: bool) -> String {
    if utf16_len(body) <= budget {
        return body.to_owned();
    }
    let marker = match has_link {
        true => "…（続きはリンク先をご覧ください）",
        false => "…（以下省略）",
    };
    let Some(room) = budget.checked_sub(utf16_len(marker)) else {
        return String::new();
    };
    let kept = truncate_at_break(body, room);
    match kept.is_empty() {
        true => String::new(),
        false => format!("{kept}{marker}"),
    }
}

/// The longest prefix within `max` UTF-16 units, ending after a line or a sentence when one ends
/// in the last fifth, so the cut reads as deliberate.
fn truncate_at_break(text: &str, max: usize) -> &str {
    let prefix = truncate_utf16(text, max);
    let floor = max - max / 5;
    let sentence_end = prefix
        .char_indices()
        .filter(|(_, c)| matches!(c, '\n' | '。' | '！' | '？'))
        .map(|(index, c)| index + c.len_utf8())
        .next_back()
        .filter(|&end| utf16_len(&prefix[..end]) >= floor);
    match sentence_end {
        Some(end) => prefix[..end].trim_end(),
        None => prefix.trim_end(),
    }
}

/// The longest prefix of whole characters within `max` UTF-16 units, never leaving a combining
/// mark, joiner or variation selector without the character it belongs to.
fn truncate_utf16(text: &str, max: usize) -> &str {
    let mut used = 0;
    let mut end = text.len();
    for (index, c) in text.char_indices() {
        used += c.len_utf16();
        if used > max {
            end = index;
            break;
        }
    }
    if end == text.len() {
        return text;
    }
    let mut prefix = &text[..end];
    let mut following = text[end..].chars().next();
    while following.is_some_and(joins_previous) {
        let Some(last) = prefix.chars().next_back() else {
            break;
        };
        prefix = &prefix[..prefix.len() - last.len_utf8()];
        following = Some(last);
    }
    while prefix.ends_with('\u{200D}') {
        prefix = &prefix[..prefix.len() - '\u{200D}'.len_utf8()];
    }
    prefix
}

fn joins_previous(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'      // combining diacritical marks
        | '\u{3099}'..='\u{309A}'    // combining kana voiced sound marks
        | '\u{200D}'                 // zero width joiner (emoji sequences)
        | '\u{FE00}'..='\u{FE0F}'    // variation selectors
        | '\u{1F3FB}'..='\u{1F3FF}'  // emoji skin tone modifiers
        | '\u{E0100}'..='\u{E01EF}'  // ideographic variation selectors
        | '\u{E0020}'..='\u{E007F}') // emoji tag sequences
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::channel::{Link, Urgency};
    use reqwest::header::RETRY_AFTER;

    fn notice(title: &str, body: &str) -> RenderedNotice {
        RenderedNotice {
            kind: kosodate_domain::NoticeKind::NewlyEligible,
            due_on: None,
            title: title.to_owned(),
            body: body.to_owned(),
            short: "短い要約".to_owned(),
            link: Some(Link {
                label: "詳しく見る・申請する".to_owned(),
                url: Url::parse("https://kosodate.example.jp/programs/aomori-01").unwrap(),
            }),
            actions: vec![
                Link {
                    label: "申請済み".to_owned(),
                    url: Url::parse("https://kosodate.example.jp/a/applied").unwrap(),
                },
                Link {
                    label: "興味なし".to_owned(),
                    url: Url::parse("https://kosodate.example.jp/a/skip").unwrap(),
                },
            ],
            unsubscribe: Url::parse("https://kosodate.example.jp/unsubscribe/line/t0k3n").unwrap(),
            urgency: Urgency::Normal,
            time_to_live: Duration::from_secs(86_400),
        }
    }

    #[test]
    fn a_short_notice_is_rendered_whole() {
        let text = render_text(&notice("児童手当の申請期限", "申請は9月30日までです。"));
        assert!(text.starts_with("【児童手当の申請期限】\n\n申請は9月30日までです。\n\n"));
        for expected in [
            "▶ 詳しく見る・申請する\nhttps://kosodate.example.jp/programs/aomori-01",
            "▶ 申請済み\nhttps://kosodate.example.jp/a/applied",
            "▶ 興味なし\nhttps://kosodate.example.jp/a/skip",
            "配信停止はこちら\nhttps://kosodate.example.jp/unsubscribe/line/t0k3n",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from {text:?}");
        }
    }

    #[test]
    fn a_long_body_is_cut_and_the_links_survive() {
        let body = "青森市の子育て支援についてのお知らせです。".repeat(400);
        let text = render_text(&notice("お知らせ", &body));
        assert!(utf16_len(&text) <= MAX_TEXT_UTF16);
        assert!(
            utf16_len(&text) > MAX_TEXT_UTF16 - 100,
            "too much was cut: {}",
            utf16_len(&text)
        );
        assert!(
            text.contains("です。…（続きはリンク先をご覧ください）"),
            "cut mid-sentence"
        );
        assert!(text.ends_with("https://kosodate.example.jp/unsubscribe/line/t0k3n"));
        assert!(text.contains("https://kosodate.example.jp/a/skip"));
    }

    #[test]
    fn length_is_counted_in_utf16_units() {
        // 🍎 is two UTF-16 units: 3,000 of them are 6,000 units although only 3,000 characters.
        let text = render_text(&notice("🍎", &"🍎".repeat(3_000)));
        assert!(utf16_len(&text) <= MAX_TEXT_UTF16);
        assert!(text.chars().all(|c| c != char::REPLACEMENT_CHARACTER));
    }

    #[test]
    fn a_cut_never_splits_an_emoji_sequence_or_a_combining_mark() {
        let family = "👨\u{200D}👩\u{200D}👧";
        assert_eq!(truncate_utf16(family, 3), "👨");
        assert_eq!(truncate_utf16("は\u{309A}は\u{309A}", 3), "は\u{309A}");
        assert_eq!(truncate_utf16("👍🏽", 3), "");
        assert_eq!(truncate_utf16("abc", 3), "abc");
    }

    #[test]
    fn a_long_title_and_absurd_links_still_fit() {
        let mut absurd = notice(&"題".repeat(10_000), "本文");
        absurd.link = Some(Link {
            label: "リンク".to_owned(),
            url: Url::parse(&format!("https://kosodate.example.jp/{}", "x".repeat(6_000))).unwrap(),
        });
        let text = render_text(&absurd);
        assert!(!text.is_empty());
        assert!(utf16_len(&text) <= MAX_TEXT_UTF16);
        assert!(text.starts_with(&format!("【{}】", "題".repeat(MAX_TITLE_UTF16))));
    }

    #[test]
    fn without_a_link_or_actions_the_unsubscribe_line_remains() {
        let mut bare = notice("お知らせ", &"あ".repeat(6_000));
        bare.link = None;
        bare.actions.clear();
        let text = render_text(&bare);
        assert!(utf16_len(&text) <= MAX_TEXT_UTF16);
        assert!(text.contains("…（以下省略）"));
        assert!(text.ends_with("https://kosodate.example.jp/unsubscribe/line/t0k3n"));
    }

    #[test]
    fn the_push_url_is_appended_to_any_base() {
        for (base, expected) in [
            ("https://api.line.me", "https://api.line.me/v2/bot/message/push"),
            ("https://api.line.me/", "https://api.line.me/v2/bot/message/push"),
            (
                "http://127.0.0.1:8080/line/?x=1",
                "http://127.0.0.1:8080/line/v2/bot/message/push",
            ),
        ] {
            assert_eq!(push_url(Url::parse(base).unwrap()).unwrap().as_str(), expected);
        }
        assert!(push_url(Url::parse("mailto:line@example.jp").unwrap()).is_err());
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let channel = LineChannel::new(
            Url::parse(DEFAULT_BASE_URL).unwrap(),
            "s3cr3t+token/value=".to_owned(),
            Duration::from_secs(5),
        )
        .unwrap();
        let printed = format!("{channel:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("<redacted>"));
        for bad in ["", "has space", "new\nline"] {
            let result = LineChannel::new(
                Url::parse(DEFAULT_BASE_URL).unwrap(),
                bad.to_owned(),
                Duration::from_secs(5),
            );
            assert!(
                matches!(result, Err(LineChannelError::AccessToken)),
                "{bad:?} accepted"
            );
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    const USER: &str = "U4af4980629a1b2c3d4e5f60718293a4b";

    const SENT: &[u8] = br#"{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b"}]}"#;
    const ACCEPTED_KEY: &[u8] = br#"{"message":"The retry key is already accepted"}"#;

    fn answer(status: StatusCode, body: &[u8]) -> Result<Delivered, DeliveryError> {
        outcome(status, &headers(&[]), body, USER)
    }

    #[test]
    fn acceptance_and_repeats_carry_the_message_id() {
        let ok = answer(StatusCode::OK, SENT).unwrap();
        assert_eq!(
            ok,
            Delivered {
                provider_id: Some("461230966842064897".into()),
                repeat: false
            }
        );

        let conflict = concat!(
            r#"{"message":"The retry key is already accepted","#,
            r#""sentMessages":[{"id":"461230966842064897"}]}"#,
        );
        let repeat = answer(StatusCode::CONFLICT, conflict.as_bytes()).unwrap();
        assert_eq!(
            repeat,
            Delivered {
                provider_id: Some("461230966842064897".into()),
                repeat: true
            }
        );

        let accepted = headers(&[(ACCEPTED_REQUEST_ID_HEADER, "0e4433a0-c3ca-41eb-b482-ccba23c44c3b")]);
        let repeat = outcome(StatusCode::CONFLICT, &accepted, ACCEPTED_KEY, USER).unwrap();
        assert!(repeat.repeat);
        assert_eq!(
            repeat.provider_id.as_deref(),
            Some("0e4433a0-c3ca-41eb-b482-ccba23c44c3b")
        );
    }

    #[test]
    fn limits_outages_and_timeouts_are_transient() {
        let limited = outcome(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[(RETRY_AFTER.as_str(), "30")]),
            br#"{"message":"You have reached your monthly limit."}"#,
            USER,
        );
        let Err(DeliveryError::Transient { reason, retry_after }) = limited else {
            panic!("{limited:?}")
        };
        assert!(reason.contains("monthly limit"), "{reason}");
        assert_eq!(retry_after, Some(Duration::from_secs(30)));
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::REQUEST_TIMEOUT,
        ] {
            let result = answer(status, b"<html>oops</html>");
            assert!(
                matches!(result, Err(DeliveryError::Transient { .. })),
                "{status}: {result:?}"
            );
        }
    }

    #[test]
    fn an_unknown_user_is_gone_and_a_bad_request_is_rejected() {
        let unknown = answer(
            StatusCode::BAD_REQUEST,
            br#"{"message":"Failed to send messages"}"#,
        );
        assert!(
            matches!(unknown, Err(DeliveryError::AddressGone { .. })),
            "{unknown:?}"
        );

        let invalid = concat!(
            r#"{"message":"The request body has 1 error(s)","details":"#,
            r#"[{"message":"Length must be between 0 and 5000","property":"messages[0].text"}]}"#,
        );
        let refused = answer(StatusCode::BAD_REQUEST, invalid.as_bytes());
        let Err(DeliveryError::Rejected { reason }) = refused else {
            panic!("{refused:?}")
        };
        assert!(
            reason.contains("messages[0].text: Length must be between 0 and 5000"),
            "{reason}"
        );
        for status in [
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::PAYLOAD_TOO_LARGE,
        ] {
            let result = answer(status, b"");
            assert!(
                matches!(result, Err(DeliveryError::Rejected { .. })),
                "{status}: {result:?}"
            );
        }
    }

    #[test]
    fn reasons_never_carry_the_user_id() {
        let body = format!(r#"{{"message":"The property, 'to', in the request body is invalid: {USER}"}}"#);
        let result = outcome(StatusCode::BAD_REQUEST, &headers(&[]), body.as_bytes(), USER);
        let Err(DeliveryError::AddressGone { reason }) = result else {
            panic!("{result:?}")
        };
        assert!(!reason.contains(USER), "{reason}");
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(
            retry_after(&headers(&[(RETRY_AFTER.as_str(), "120")])),
            Some(Duration::from_secs(120))
        );
        let past = headers(&[(RETRY_AFTER.as_str(), "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers(&[(RETRY_AFTER.as_str(), "soon")])), None);
    }
}
