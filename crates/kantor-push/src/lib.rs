//! Web Push for Kantor: the protocol part of notifications to installed PWAs.
//!
//! The server keeps one VAPID key pair, stores each browser's push subscription (an endpoint
//! URL and two keys), and for each notification calls [`send()`], which encrypts the JSON payload
//! for that subscription, signs a VAPID token and posts to the push service. Deciding *whether*
//! to notify (mute, do-not-disturb hours) is not this crate's business.
//!
//! **This crate does no clock calls and keeps no state**: time comes in as `now_unix_secs`, and
//! randomness from the caller's generator (or `OsRng` inside [`send()`]).
//!
//! # Layout
//!
//! - [`vapid`]: the server's P-256 key pair and the `Authorization: vapid` header (RFC 8292).
//! - [`ece`]: payload encryption and decryption, RFC 8291 over RFC 8188 `aes128gcm`.
//! - [`send`](mod@send): one POST to a push service and the mapping of its answer (RFC 8030).
//! - [`error`]: the crate's error enum and the next step each error calls for.
//! - `b64`: base64url, the encoding of every key in the protocol.
//! - `testing` (feature `testing`): a subscriber that decrypts and a VAPID verifier, so test
//!   suites can play the push service.

mod b64;
pub mod ece;
pub mod error;
pub mod send;
#[cfg(feature = "testing")]
pub mod testing;
pub mod vapid;

pub use ece::{
    decrypt, encrypt, encrypt_with, Ephemeral, SubscriptionKeys, DEFAULT_RECORD_SIZE, MAX_BODY,
    MAX_PLAINTEXT,
};
pub use error::{NextStep, PushError};
pub use send::{send, Delivery, Push, SendOptions, Urgency, TOKEN_LIFETIME_SECS};
pub use vapid::{Claims, VapidKey, MAX_TOKEN_LIFETIME_SECS};
