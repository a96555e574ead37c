//! The receiving side, for tests (feature `testing`): a subscriber that decrypts what it is sent,
//! and the VAPID checks a push service makes (RFC 8292 §4).

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::SecretKey;
use serde::Deserialize;

use crate::ece::{encode_point, parse_public_key};
use crate::vapid::MAX_TOKEN_LIFETIME_SECS;
use crate::{b64, decrypt, Claims, PushError, SubscriptionKeys};

/// A browser's push subscription: the keys it hands to the server, and the private half it
/// keeps to decrypt messages.
#[derive(Clone)]
pub struct Subscriber {
    private_key: SecretKey,
    auth: [u8; 16],
}

impl Subscriber {
    /// A fresh key pair and auth secret from the operating system's generator.
    pub fn new() -> Self {
        let mut auth = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut auth);
        Subscriber {
            private_key: SecretKey::random(&mut rand::rngs::OsRng),
            auth,
        }
    }

    /// What `PushSubscription.toJSON().keys` would give the server.
    pub fn keys(&self) -> SubscriptionKeys {
        SubscriptionKeys {
            p256dh: b64::encode(&encode_point(&self.private_key.public_key())),
            auth: b64::encode(&self.auth),
        }
    }

    /// Opens an `aes128gcm` body sent to this subscription.
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>, PushError> {
        decrypt(&self.private_key.to_bytes(), &self.auth, body)
    }
}

impl Default for Subscriber {
    fn default() -> Self {
        Subscriber::new()
    }
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("keys", &self.keys())
            .finish_non_exhaustive()
    }
}

/// Why a VAPID `Authorization` header was refused.
#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    #[error("Authorization is not `vapid t=…, k=…`")]
    Malformed,
    #[error("JWT header is not ES256")]
    Algorithm,
    #[error("k= is not a P-256 public key: {0}")]
    Key(#[source] PushError),
    #[error("JWT signature does not verify with k=")]
    Signature,
    #[error("JWT claims are not aud/exp/sub")]
    Claims,
    #[error("aud is {found}, the endpoint's origin is {expected}")]
    Audience { found: String, expected: String },
    #[error("exp {exp} is not within 24 hours after now {now}")]
    Expiry { exp: u64, now: u64 },
}

/// A verified VAPID header: the signed claims and the key that signed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedVapid {
    pub claims: Claims,
    /// The `k=` parameter, base64url: the server's `applicationServerKey`.
    pub public_key: String,
}

impl VerifiedVapid {
    /// The push service's claim checks (RFC 8292 §2): `aud` is the endpoint's origin, `exp` is
    /// after `now_unix_secs` and no more than 24 hours after it.
    pub fn check(&self, expected_origin: &str, now_unix_secs: u64) -> Result<(), VapidError> {
        if self.claims.aud != expected_origin {
            return Err(VapidError::Audience {
                found: self.claims.aud.clone(),
                expected: expected_origin.to_owned(),
            });
        }
        let exp = self.claims.exp;
        if exp <= now_unix_secs || exp > now_unix_secs + MAX_TOKEN_LIFETIME_SECS {
            return Err(VapidError::Expiry {
                exp,
                now: now_unix_secs,
            });
        }
        Ok(())
    }
}

/// Parses `vapid t=<JWT>, k=<key>` (RFC 8292 §3) and verifies the ES256 signature with `k`.
/// Claim values are checked separately by [`VerifiedVapid::check`], which needs the time.
pub fn vapid_claims(header: &str) -> Result<VerifiedVapid, VapidError> {
    let params = header.strip_prefix("vapid ").ok_or(VapidError::Malformed)?;
    let (mut token, mut key) = (None, None);
    for param in params.split(',') {
        match param.trim().split_once('=') {
            Some(("t", value)) => token = Some(value),
            Some(("k", value)) => key = Some(value),
            _ => return Err(VapidError::Malformed),
        }
    }
    let (token, key) = token.zip(key).ok_or(VapidError::Malformed)?;

    let public_bytes = b64::decode(key, "k").map_err(VapidError::Key)?;
    let public = parse_public_key(&public_bytes, "k").map_err(VapidError::Key)?;
    let (signing_input, signature) = token.rsplit_once('.').ok_or(VapidError::Malformed)?;
    let (header_b64, claims_b64) = signing_input.split_once('.').ok_or(VapidError::Malformed)?;

    #[derive(Deserialize)]
    struct JwtHeader {
        alg: String,
    }
    let jwt_header: JwtHeader = decode_json(header_b64).ok_or(VapidError::Malformed)?;
    if jwt_header.alg != "ES256" {
        return Err(VapidError::Algorithm);
    }
    let signature = b64::decode(signature, "signature").map_err(|_| VapidError::Signature)?;
    let signature = Signature::from_slice(&signature).map_err(|_| VapidError::Signature)?;
    VerifyingKey::from(public)
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| VapidError::Signature)?;
    let claims: Claims = decode_json(claims_b64).ok_or(VapidError::Claims)?;
    Ok(VerifiedVapid {
        claims,
        public_key: key.to_owned(),
    })
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Option<T> {
    serde_json::from_slice(&b64::decode(part, "JWT part").ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encrypt, VapidKey};

    #[test]
    fn subscriber_opens_what_is_encrypted_for_it() -> Result<(), PushError> {
        let subscriber = Subscriber::new();
        let body = encrypt(
            &subscriber.keys(),
            b"{\"n\":1}",
            4096,
            &mut rand::rngs::OsRng,
        )?;
        assert_eq!(subscriber.decrypt(&body)?, b"{\"n\":1}");
        assert!(
            Subscriber::new().decrypt(&body).is_err(),
            "another subscriber cannot read it"
        );
        Ok(())
    }

    #[test]
    fn vapid_header_verifies_and_claims_are_checked() -> Result<(), Box<dyn std::error::Error>> {
        let key = VapidKey::generate(&mut rand::rngs::OsRng);
        let now = 1_800_000_000;
        let origin = "https://push.example.net";
        let header = key.authorization(origin, "mailto:ops@kantor.test", now + 3600)?;
        let verified = vapid_claims(&header)?;
        assert_eq!(verified.public_key, key.public_key_b64url());
        assert_eq!(verified.claims.sub, "mailto:ops@kantor.test");
        verified.check(origin, now)?;
        assert!(matches!(
            verified.check("https://other.example", now),
            Err(VapidError::Audience { .. })
        ));
        assert!(matches!(
            verified.check(origin, now + 3600),
            Err(VapidError::Expiry { .. })
        ));
        assert!(matches!(
            verified.check(origin, now - 86_400),
            Err(VapidError::Expiry { .. })
        ));

        // Another server's key in k= does not verify the signature.
        let other = VapidKey::generate(&mut rand::rngs::OsRng).public_key_b64url();
        let forged = header.replace(&key.public_key_b64url(), &other);
        assert!(matches!(vapid_claims(&forged), Err(VapidError::Signature)));
        assert!(matches!(
            vapid_claims("Bearer abc"),
            Err(VapidError::Malformed)
        ));
        Ok(())
    }
}
