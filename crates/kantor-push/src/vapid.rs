//! VAPID (RFC 8292): the application server signs a short-lived JWT so that push services can
//! tie a subscription to our key pair.
//!
//! 1. **Key** (RFC 8292 §3.2). One long-lived P-256 key pair per server. The browser receives the
//!    public key as `applicationServerKey` (65-byte uncompressed point, base64url) when it
//!    subscribes; the push service then only accepts messages signed by the matching private
//!    key.
//! 2. **Token** (RFC 8292 §2). A JWT (RFC 7519) signed with ES256 (RFC 7515 §A.3: the signature
//!    is `r | s`, 64 bytes), claims `aud` = the origin of the push endpoint (§2), `exp` no more
//!    than 24 hours ahead (§2), and `sub` = a `mailto:` or `https:` contact (§2.1).
//! 3. **Header** (RFC 8292 §3). `Authorization: vapid t=<JWT>, k=<public key>`.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::SecretKey;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::ece::encode_point;
use crate::{b64, PushError};

/// RFC 8292 §2: push services reject tokens that expire more than 24 hours ahead.
pub const MAX_TOKEN_LIFETIME_SECS: u64 = 24 * 60 * 60;

/// The application server's VAPID key pair. `Debug` shows the public key only.
#[derive(Clone)]
pub struct VapidKey {
    signing_key: SigningKey,
}

/// The claims of a VAPID token (RFC 8292 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Origin of the push endpoint, e.g. `https://fcm.googleapis.com`.
    pub aud: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Contact for the push service's operator: `mailto:` or `https:`.
    pub sub: String,
}

impl VapidKey {
    /// A new key pair; `rng` must be a cryptographic generator such as `OsRng`.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        VapidKey {
            signing_key: SigningKey::random(rng),
        }
    }

    /// Imports a private key exported by [`VapidKey::private_key_b64url`] (the 32-byte scalar,
    /// the same format as the `web-push` tools use).
    pub fn from_private_key_b64url(text: &str) -> Result<Self, PushError> {
        let bytes: [u8; 32] = b64::decode_array(text, "VAPID private key")?;
        let secret = SecretKey::from_slice(&bytes).map_err(|_| PushError::InvalidKey {
            field: "VAPID private key",
        })?;
        Ok(VapidKey {
            signing_key: SigningKey::from(secret),
        })
    }

    /// The private key as base64url, for the server's settings table. It is a secret.
    pub fn private_key_b64url(&self) -> String {
        b64::encode(&self.signing_key.to_bytes())
    }

    /// The public key as the browser's `applicationServerKey` wants it: uncompressed point,
    /// base64url without padding.
    pub fn public_key_b64url(&self) -> String {
        let public = p256::PublicKey::from(self.signing_key.verifying_key());
        b64::encode(&encode_point(&public))
    }

    /// The `Authorization` header value `vapid t=<JWT>, k=<public key>` (RFC 8292 §3).
    ///
    /// `endpoint_origin` must be a bare origin (`https://push.example.net`, no path or trailing
    /// slash). The caller keeps `expires_unix_secs` within [`MAX_TOKEN_LIFETIME_SECS`] of now;
    /// [`crate::send()`] does.
    pub fn authorization(
        &self,
        endpoint_origin: &str,
        subject: &str,
        expires_unix_secs: u64,
    ) -> Result<String, PushError> {
        check_origin(endpoint_origin)?;
        check_subject(subject)?;
        let claims = Claims {
            aud: endpoint_origin.to_owned(),
            exp: expires_unix_secs,
            sub: subject.to_owned(),
        };
        let claims = serde_json::to_vec(&claims).map_err(|_| PushError::InvalidVapidClaim {
            reason: "claims do not serialise",
        })?;
        let signing_input = format!(
            "{}.{}",
            b64::encode(br#"{"typ":"JWT","alg":"ES256"}"#),
            b64::encode(&claims)
        );
        // RFC 6979 deterministic ECDSA over SHA-256; `to_bytes` is the JWS `r | s` form.
        let signature: Signature = self.signing_key.sign(signing_input.as_bytes());
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            b64::encode(&signature.to_bytes()),
            self.public_key_b64url()
        ))
    }
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public_key", &self.public_key_b64url())
            .finish()
    }
}

/// RFC 8292 §2: `aud` is the ASCII serialisation of the endpoint's origin.
fn check_origin(origin: &str) -> Result<(), PushError> {
    let bad = PushError::InvalidVapidClaim {
        reason: "aud must be the push endpoint's origin",
    };
    let url = url::Url::parse(origin).map_err(|_| bad)?;
    if url.origin().ascii_serialization() != origin {
        return Err(PushError::InvalidVapidClaim {
            reason: "aud must be the push endpoint's origin",
        });
    }
    Ok(())
}

/// RFC 8292 §2.1: the contact is a `mailto:` or an `https:` URI.
fn check_subject(subject: &str) -> Result<(), PushError> {
    let ok = (subject.starts_with("mailto:") && subject.len() > "mailto:".len())
        || (subject.starts_with("https://") && url::Url::parse(subject).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PushError::InvalidVapidClaim {
            reason: "sub must be a mailto: or https: URI",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_key_export_import_round_trip() -> Result<(), PushError> {
        let key = VapidKey::generate(&mut rand::rngs::OsRng);
        let exported = key.private_key_b64url();
        assert_eq!(exported.len(), 43, "32 bytes of base64url without padding");
        let imported = VapidKey::from_private_key_b64url(&exported)?;
        assert_eq!(imported.public_key_b64url(), key.public_key_b64url());
        // ES256 with RFC 6979 is deterministic: same key, same claims, same header.
        let origin = "https://push.example.net";
        assert_eq!(
            imported.authorization(origin, "mailto:ops@kantor.test", 1_700_000_000)?,
            key.authorization(origin, "mailto:ops@kantor.test", 1_700_000_000)?,
        );
        Ok(())
    }

    #[test]
    fn public_key_is_uncompressed_point() -> Result<(), PushError> {
        let key = VapidKey::generate(&mut rand::rngs::OsRng);
        let public = b64::decode(&key.public_key_b64url(), "public")?;
        assert_eq!(public.len(), 65);
        assert_eq!(public[0], 0x04);
        assert!(!format!("{key:?}").contains(&key.private_key_b64url()));
        Ok(())
    }

    #[test]
    fn bad_private_keys_are_rejected() {
        let too_short = VapidKey::from_private_key_b64url("AAAA").err();
        assert!(matches!(
            too_short,
            Some(PushError::InvalidKeyLength { expected: 32, .. })
        ));
        // Zero is not a valid scalar.
        let zero = VapidKey::from_private_key_b64url(&b64::encode(&[0u8; 32])).err();
        assert!(matches!(zero, Some(PushError::InvalidKey { .. })));
    }

    #[test]
    fn audience_and_subject_are_checked() {
        let key = VapidKey::generate(&mut rand::rngs::OsRng);
        for origin in [
            "https://push.example.net/",
            "https://push.example.net/wpush/x",
            "nope",
        ] {
            let err = key.authorization(origin, "mailto:ops@kantor.test", 1).err();
            assert!(
                matches!(err, Some(PushError::InvalidVapidClaim { .. })),
                "{origin}"
            );
        }
        for subject in ["ops@kantor.test", "mailto:", "http://kantor.test"] {
            let err = key
                .authorization("https://push.example.net", subject, 1)
                .err();
            assert!(
                matches!(err, Some(PushError::InvalidVapidClaim { .. })),
                "{subject}"
            );
        }
        let origin_with_port = key.authorization("http://127.0.0.1:8080", "https://kantor.test", 1);
        assert!(origin_with_port.is_ok());
    }
}
