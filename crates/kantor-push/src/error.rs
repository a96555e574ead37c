//! The one error type of this crate, and what a caller should do about each error.

use std::time::Duration;

/// Everything that can go wrong while preparing or delivering a push message.
///
/// Local errors (bad keys, bad endpoint, oversized payload) are raised before anything is sent.
/// Push-service answers that are not a success come back as [`PushError::Gone`],
/// [`PushError::PayloadTooLarge`], [`PushError::Retryable`] or [`PushError::Rejected`];
/// [`PushError::next_step`] sorts them into retry, delete-the-subscription or drop.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// A field that should be base64url (RFC 4648 §5) is not.
    #[error("{field} is not valid base64url")]
    InvalidBase64 { field: &'static str },
    /// A key or secret decoded to the wrong number of bytes.
    #[error("{field} must be {expected} bytes, got {actual}")]
    InvalidKeyLength {
        field: &'static str,
        expected: usize,
        actual: usize,
    },
    /// A P-256 public key is not an uncompressed point on the curve, or a private key is not a
    /// valid scalar.
    #[error("{field} is not a valid P-256 key")]
    InvalidKey { field: &'static str },
    /// The plaintext would not fit in one 4096-byte push message (RFC 8291 §4).
    #[error("plaintext is {len} bytes, at most {max} fit in one push message")]
    PlaintextTooLarge { len: usize, max: usize },
    /// The record size cannot hold the plaintext in a single record (RFC 8188 §2, RFC 8291 §4).
    #[error("record size {record_size} cannot hold a {len}-byte plaintext in one record")]
    RecordSizeTooSmall { record_size: u32, len: usize },
    /// An `aes128gcm` body is malformed: truncated header, wrong key id, several records,
    /// failed authentication or a missing padding delimiter.
    #[error("cannot decrypt push message: {reason}")]
    Decrypt { reason: &'static str },
    /// The push endpoint is not an https URL (or, when allowed, an http loopback URL).
    #[error("push endpoint rejected: {reason}")]
    InvalidEndpoint { reason: &'static str },
    /// The VAPID audience is not a bare origin, or the subject is not `mailto:` or `https:`.
    #[error("invalid VAPID claim: {reason}")]
    InvalidVapidClaim { reason: &'static str },
    /// A `Topic` must be at most 32 characters of the base64url alphabet (RFC 8030 §5.4).
    #[error("topic must be 1 to 32 base64url characters")]
    InvalidTopic,
    /// The request never got an answer (DNS, TLS, connection, timeout). The endpoint URL is
    /// stripped from the cause because it is a bearer capability for the subscription.
    #[error("push request failed")]
    Transport(#[source] reqwest::Error),
    /// 404 or 410: the subscription has expired or was removed (RFC 8030 §7.3).
    #[error("push subscription is gone (HTTP {status})")]
    Gone { status: u16 },
    /// 413: the push service refused the body size (RFC 8030 §7.2).
    #[error("push service refused the payload as too large")]
    PayloadTooLarge,
    /// 429 or 5xx: try again later, after `retry_after` if the service said so.
    #[error("push service asked to retry later (HTTP {status})")]
    Retryable {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Any other non-success answer, such as 400 (bad headers) or 403 (VAPID key mismatch).
    /// `detail` is the start of the response body, for the log.
    #[error("push service rejected the message (HTTP {status})")]
    Rejected { status: u16, detail: String },
}

/// What to do after a failed send, so callers do not each re-derive it from status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Keep the message and try again, no sooner than `after` if given.
    Retry { after: Option<Duration> },
    /// The subscription cannot be used any more: delete it.
    DeleteSubscription,
    /// This message cannot be delivered as it is; drop it and keep the subscription.
    Drop,
}

impl PushError {
    /// Sorts the error into retry, delete the subscription, or drop the message.
    pub fn next_step(&self) -> NextStep {
        match self {
            PushError::Transport(_) => NextStep::Retry { after: None },
            PushError::Retryable { retry_after, .. } => NextStep::Retry {
                after: *retry_after,
            },
            // A subscription with unusable keys or endpoint can never receive anything.
            PushError::Gone { .. }
            | PushError::InvalidBase64 { .. }
            | PushError::InvalidKeyLength { .. }
            | PushError::InvalidKey { .. }
            | PushError::InvalidEndpoint { .. } => NextStep::DeleteSubscription,
            PushError::PlaintextTooLarge { .. }
            | PushError::RecordSizeTooSmall { .. }
            | PushError::Decrypt { .. }
            | PushError::InvalidVapidClaim { .. }
            | PushError::InvalidTopic
            | PushError::PayloadTooLarge
            | PushError::Rejected { .. } => NextStep::Drop,
        }
    }
}
