//! Delivering one message to a push service (RFC 8030 §5) and reading its answer.
//!
//! The request is `POST <endpoint>` with the encrypted body and:
//! `Content-Encoding: aes128gcm` (RFC 8291 §4), `TTL` (RFC 8030 §5.2, required), `Urgency`
//! (§5.3), `Topic` if set (§5.4, replaces an undelivered message with the same topic) and
//! `Authorization: vapid …` (RFC 8292 §3). Answers: 201 (or any 2xx) delivered; 404/410 the
//! subscription is gone (§7.3); 413 too large (§7.2); 429 and 5xx retry, honouring
//! `Retry-After` (RFC 9110 §10.2.3); any other answer is a permanent refusal.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use url::Url;

use crate::ece::{encrypt, SubscriptionKeys, DEFAULT_RECORD_SIZE};
use crate::{PushError, VapidKey};

/// How long the VAPID tokens that [`send`] makes stay valid: half the 24-hour limit, as common
/// push libraries do, so clock skew between us and the push service cannot push it over.
pub const TOKEN_LIFETIME_SECS: u64 = 12 * 60 * 60;

/// How much of a refusal's body [`PushError::Rejected`] keeps for the log.
const DETAIL_LIMIT: usize = 512;

/// One push message for one subscription. `Debug` shows the endpoint's origin only.
#[derive(Clone)]
pub struct Push {
    /// The subscription's endpoint URL, a bearer capability: do not log it.
    pub endpoint: String,
    /// The subscription's `p256dh` and `auth`.
    pub keys: SubscriptionKeys,
    /// The plaintext, in Kantor a JSON document the service worker reads; at most
    /// [`crate::MAX_PLAINTEXT`] bytes.
    pub payload: Vec<u8>,
    /// How long the push service keeps an undelivered message, in seconds; 0 means deliver now or
    /// never.
    pub ttl_secs: u32,
    pub urgency: Urgency,
    /// Replaces an earlier, still undelivered message with the same topic: at most 32
    /// base64url characters.
    pub topic: Option<String>,
}

impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let origin = Url::parse(&self.endpoint).map(|url| url.origin().ascii_serialization());
        f.debug_struct("Push")
            .field("endpoint_origin", &origin.unwrap_or_default())
            .field("payload_len", &self.payload.len())
            .field("ttl_secs", &self.ttl_secs)
            .field("urgency", &self.urgency)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

/// RFC 8030 §5.3: lets the push service save the device's battery for unimportant messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Urgency {
    VeryLow,
    Low,
    #[default]
    Normal,
    High,
}

impl Urgency {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// Options of [`send`]; the default is what production wants.
#[derive(Debug, Clone, Copy, Default)]
pub struct SendOptions {
    /// Also accept `http://` endpoints on loopback addresses, for a test push service.
    /// Production push services are always https.
    pub allow_http_loopback: bool,
}

/// The push service accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub status: u16,
    /// The message resource (RFC 8030 §5), if the service named one.
    pub location: Option<String>,
}

/// Encrypts `msg` for its subscription, signs a VAPID token valid for [`TOKEN_LIFETIME_SECS`]
/// after `now_unix_secs`, posts it and maps the answer.
///
/// `subject` is the VAPID contact (`mailto:` or `https:`). Nothing is sent when the endpoint,
/// keys, topic or payload size are invalid.
pub async fn send(
    client: &reqwest::Client,
    vapid: &VapidKey,
    subject: &str,
    msg: &Push,
    now_unix_secs: u64,
    options: SendOptions,
) -> Result<Delivery, PushError> {
    let endpoint = check_endpoint(&msg.endpoint, options)?;
    if let Some(topic) = &msg.topic {
        check_topic(topic)?;
    }
    let body = encrypt(
        &msg.keys,
        &msg.payload,
        DEFAULT_RECORD_SIZE,
        &mut rand::rngs::OsRng,
    )?;
    let origin = endpoint.origin().ascii_serialization();
    let authorization =
        vapid.authorization(&origin, subject, now_unix_secs + TOKEN_LIFETIME_SECS)?;

    let mut request = client
        .post(endpoint)
        .header(CONTENT_ENCODING, "aes128gcm")
        .header(CONTENT_TYPE, "application/octet-stream")
        .header("TTL", msg.ttl_secs)
        .header("Urgency", msg.urgency.as_str())
        .header(AUTHORIZATION, authorization);
    if let Some(topic) = &msg.topic {
        request = request.header("Topic", topic);
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| PushError::Transport(e.without_url()))?;

    let status = response.status();
    if status.is_success() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        return Ok(Delivery {
            status: status.as_u16(),
            location,
        });
    }
    Err(match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => PushError::Gone {
            status: status.as_u16(),
        },
        StatusCode::PAYLOAD_TOO_LARGE => PushError::PayloadTooLarge,
        StatusCode::TOO_MANY_REQUESTS => retryable(status, response.headers(), now_unix_secs),
        _ if status.is_server_error() => retryable(status, response.headers(), now_unix_secs),
        _ => PushError::Rejected {
            status: status.as_u16(),
            detail: detail(response).await,
        },
    })
}

fn retryable(status: StatusCode, headers: &HeaderMap, now_unix_secs: u64) -> PushError {
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_retry_after(value, now_unix_secs));
    PushError::Retryable {
        status: status.as_u16(),
        retry_after,
    }
}

/// RFC 9110 §10.2.3: either delay-seconds or an HTTP-date, which `now_unix_secs` turns into a
/// delay. A date in the past means "now".
fn parse_retry_after(value: &str, now_unix_secs: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_unix = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at_unix.saturating_sub(now_unix_secs)))
}

/// The start of a refusal's body, read chunk by chunk so a huge body is not buffered.
async fn detail(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < DETAIL_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(DETAIL_LIMIT);
    String::from_utf8_lossy(&bytes).into_owned()
}

fn check_endpoint(endpoint: &str, options: SendOptions) -> Result<Url, PushError> {
    let url = Url::parse(endpoint).map_err(|_| PushError::InvalidEndpoint {
        reason: "not a URL",
    })?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if options.allow_http_loopback && is_loopback(&url) => Ok(url),
        "http" if options.allow_http_loopback => Err(PushError::InvalidEndpoint {
            reason: "http is allowed on loopback only",
        }),
        _ => Err(PushError::InvalidEndpoint {
            reason: "push endpoints must be https",
        }),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// RFC 8030 §5.4: at most 32 characters from the URL- and filename-safe base64 alphabet.
fn check_topic(topic: &str) -> Result<(), PushError> {
    let ok = !topic.is_empty()
        && topic.len() <= 32
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(PushError::InvalidTopic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_unless_loopback_is_allowed() {
        let production = SendOptions::default();
        let test = SendOptions {
            allow_http_loopback: true,
        };
        assert!(check_endpoint("https://push.example.net/wpush/abc", production).is_ok());
        for endpoint in [
            "http://127.0.0.1:9/x",
            "ftp://push.example.net/x",
            "/relative",
            "",
        ] {
            let err = check_endpoint(endpoint, production).err();
            assert!(
                matches!(err, Some(PushError::InvalidEndpoint { .. })),
                "{endpoint}"
            );
        }
        for endpoint in [
            "http://127.0.0.1:9/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
        ] {
            assert!(check_endpoint(endpoint, test).is_ok(), "{endpoint}");
        }
        for endpoint in [
            "http://push.example.net/x",
            "http://10.0.0.1/x",
            "file:///etc/passwd",
        ] {
            let err = check_endpoint(endpoint, test).err();
            assert!(
                matches!(err, Some(PushError::InvalidEndpoint { .. })),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn topics_follow_rfc8030() {
        assert!(check_topic("meeting-42_reminder").is_ok());
        assert!(check_topic(&"a".repeat(32)).is_ok());
        for topic in ["", "has space", "slash/", &"a".repeat(33), "plus+"] {
            assert!(
                matches!(check_topic(topic), Err(PushError::InvalidTopic)),
                "{topic}"
            );
        }
    }

    #[test]
    fn retry_after_is_seconds_or_http_date() {
        assert_eq!(parse_retry_after("120", 0), Some(Duration::from_secs(120)));
        // 1994-11-06T08:49:37Z is 784111777.
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(
            parse_retry_after(date, 784_111_777 - 30),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after(date, 784_111_777 + 30),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn urgency_header_values() {
        let all = [
            Urgency::VeryLow,
            Urgency::Low,
            Urgency::Normal,
            Urgency::High,
        ];
        assert_eq!(
            all.map(Urgency::as_str),
            ["very-low", "low", "normal", "high"]
        );
        assert_eq!(Urgency::default(), Urgency::Normal);
    }
}
