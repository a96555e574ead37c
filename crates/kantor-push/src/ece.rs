//! Message encryption for Web Push: RFC 8291 key derivation over RFC 8188 `aes128gcm`.
//!
//! The steps, for one message from the application server (AS) to the user agent (UA):
//!
//! 1. **Keys** (RFC 8291 §3.1–3.2). The browser's subscription gives the UA's P-256 public key
//!    `p256dh` (65-byte uncompressed point) and a 16-byte `auth` secret. The AS makes a fresh
//!    ephemeral P-256 key pair and a random 16-byte salt for every message.
//! 2. **Shared secret** (RFC 8291 §3.1). `ecdh_secret` = the x coordinate of ECDH(AS private,
//!    UA public).
//! 3. **Input keying material** (RFC 8291 §3.3–3.4). `IKM` = HKDF-SHA-256 with salt `auth`, input
//!    `ecdh_secret`, info `"WebPush: info" 0x00 ua_public as_public`, 32 bytes.
//! 4. **Content key and nonce** (RFC 8188 §2.2–2.3). `PRK` = HKDF-Extract(salt, IKM); the
//!    16-byte `CEK` expands with info `"Content-Encoding: aes128gcm" 0x00`, the 12-byte `NONCE`
//!    with `"Content-Encoding: nonce" 0x00`. The nonce of record *i* is `NONCE` xor *i*.
//! 5. **One record** (RFC 8291 §4). The plaintext, then the last-record delimiter `0x02`, is
//!    sealed with AES-128-GCM; the 16-byte tag follows. A push message is always one record.
//! 6. **Header** (RFC 8188 §2.1, RFC 8291 §4). `salt (16) | rs (u32 big-endian) | idlen (1) |
//!    keyid`, where `keyid` is the AS ephemeral public key (65 bytes), so `idlen` = 65.
//!
//! Push services accept at most 4096 bytes of body (RFC 8030 §7.2), which leaves
//! [`MAX_PLAINTEXT`] = 3993 bytes: 4096 − 86 (header) − 16 (tag) − 1 (delimiter).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{b64, PushError};

/// The largest push message body push services must accept (RFC 8030 §7.2).
pub const MAX_BODY: usize = 4096;
/// Bytes of the `aes128gcm` header with a P-256 key id: salt 16, rs 4, idlen 1, keyid 65.
pub const HEADER_LEN: usize = 16 + 4 + 1 + PUBLIC_KEY_LEN;
/// The largest plaintext that fits into [`MAX_BODY`] (RFC 8291 §4).
pub const MAX_PLAINTEXT: usize = MAX_BODY - HEADER_LEN - TAG_LEN - 1;
/// The record size this crate writes: one record may then use the whole message.
pub const DEFAULT_RECORD_SIZE: u32 = 4096;

const PUBLIC_KEY_LEN: usize = 65;
const TAG_LEN: usize = 16;
/// RFC 8188 §2: a record must hold at least the delimiter and the tag, plus one byte.
const MIN_RECORD_SIZE: u32 = 18;
const LAST_RECORD_DELIMITER: u8 = 0x02;

/// The `keys` of a browser's `PushSubscription.toJSON()`: both base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionKeys {
    /// The UA's P-256 public key, uncompressed (65 bytes).
    pub p256dh: String,
    /// The UA's authentication secret (16 bytes).
    pub auth: String,
}

/// The per-message randomness, fixed by tests to reproduce RFC 8291 Appendix A.
pub struct Ephemeral {
    /// The AS ephemeral P-256 private key, 32 bytes big-endian.
    pub private_key: [u8; 32],
    /// The RFC 8188 salt.
    pub salt: [u8; 16],
}

impl Ephemeral {
    /// Fresh key and salt from `rng`; must be a cryptographic generator such as `OsRng`.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let private_key = SecretKey::random(rng).to_bytes().into();
        Ephemeral { private_key, salt }
    }
}

impl std::fmt::Debug for Ephemeral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ephemeral").finish_non_exhaustive()
    }
}

/// Encrypts `plaintext` for the subscription with a fresh ephemeral key and salt from `rng`.
pub fn encrypt<R: RngCore + CryptoRng>(
    keys: &SubscriptionKeys,
    plaintext: &[u8],
    record_size: u32,
    rng: &mut R,
) -> Result<Vec<u8>, PushError> {
    encrypt_with(keys, plaintext, record_size, &Ephemeral::random(rng))
}

/// Encrypts with the given ephemeral key and salt. Reusing them across messages breaks the
/// encryption; outside tests call [`encrypt`].
pub fn encrypt_with(
    keys: &SubscriptionKeys,
    plaintext: &[u8],
    record_size: u32,
    ephemeral: &Ephemeral,
) -> Result<Vec<u8>, PushError> {
    let ua_public_bytes: [u8; PUBLIC_KEY_LEN] = b64::decode_array(&keys.p256dh, "p256dh")?;
    let ua_public = parse_public_key(&ua_public_bytes, "p256dh")?;
    let auth: [u8; 16] = b64::decode_array(&keys.auth, "auth")?;
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(PushError::PlaintextTooLarge {
            len: plaintext.len(),
            max: MAX_PLAINTEXT,
        });
    }
    if record_size < MIN_RECORD_SIZE || plaintext.len() + 1 + TAG_LEN > record_size as usize {
        return Err(PushError::RecordSizeTooSmall {
            record_size,
            len: plaintext.len(),
        });
    }
    let as_secret =
        SecretKey::from_slice(&ephemeral.private_key).map_err(|_| PushError::InvalidKey {
            field: "ephemeral private key",
        })?;
    let as_public = encode_point(&as_secret.public_key());

    let (cek, nonce) = derive(
        &as_secret,
        &ua_public,
        &ua_public_bytes,
        &as_public,
        &auth,
        &ephemeral.salt,
    );
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(LAST_RECORD_DELIMITER);
    let sealed = Aes128Gcm::new(&cek.into())
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| PushError::Decrypt {
            reason: "AES-GCM refused the record",
        })?;

    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(&ephemeral.salt);
    body.extend_from_slice(&record_size.to_be_bytes());
    body.push(PUBLIC_KEY_LEN as u8);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// The user agent's side: opens an `aes128gcm` push message body with the subscription's
/// private key (32 bytes) and auth secret (16 bytes).
pub fn decrypt(
    ua_private_key: &[u8],
    auth_secret: &[u8],
    body: &[u8],
) -> Result<Vec<u8>, PushError> {
    let ua_secret = SecretKey::from_slice(ua_private_key).map_err(|_| PushError::InvalidKey {
        field: "ua private key",
    })?;
    let auth: [u8; 16] = auth_secret
        .try_into()
        .map_err(|_| PushError::InvalidKeyLength {
            field: "auth",
            expected: 16,
            actual: auth_secret.len(),
        })?;
    if body.len() < HEADER_LEN {
        return Err(PushError::Decrypt {
            reason: "body shorter than the header",
        });
    }
    let (salt, rest) = body.split_at(16);
    let (rs, rest) = rest.split_at(4);
    let (idlen, rest) = rest.split_at(1);
    if usize::from(idlen[0]) != PUBLIC_KEY_LEN {
        return Err(PushError::Decrypt {
            reason: "key id is not a P-256 public key",
        });
    }
    let (as_public_bytes, sealed) = rest.split_at(PUBLIC_KEY_LEN);
    let record_size = u32::from_be_bytes([rs[0], rs[1], rs[2], rs[3]]);
    if record_size < MIN_RECORD_SIZE {
        return Err(PushError::Decrypt {
            reason: "record size below 18",
        });
    }
    if sealed.len() > record_size as usize {
        return Err(PushError::Decrypt {
            reason: "push messages carry one record only",
        });
    }
    if sealed.len() < TAG_LEN + 1 {
        return Err(PushError::Decrypt {
            reason: "record shorter than its tag",
        });
    }
    let as_public = parse_public_key(as_public_bytes, "key id")?;
    let ua_public = encode_point(&ua_secret.public_key());
    let salt: [u8; 16] = salt
        .try_into()
        .map_err(|_| PushError::Decrypt { reason: "salt" })?;

    let (cek, nonce) = derive(
        &ua_secret,
        &as_public,
        &ua_public,
        as_public_bytes,
        &auth,
        &salt,
    );
    let mut record = Aes128Gcm::new(&cek.into())
        .decrypt(Nonce::from_slice(&nonce), sealed)
        .map_err(|_| PushError::Decrypt {
            reason: "authentication failed",
        })?;
    // RFC 8188 §2: padding is zeros after the delimiter; the last record's delimiter is 2.
    while record.last() == Some(&0) {
        record.pop();
    }
    match record.pop() {
        Some(LAST_RECORD_DELIMITER) => Ok(record),
        _ => Err(PushError::Decrypt {
            reason: "missing last-record delimiter",
        }),
    }
}

/// Steps 2–4 of the module docs. `own` is this side's private key, `peer` the other side's
/// public key; `ua_public` and `as_public` are the encoded points in the order RFC 8291 §3.4
/// fixes, whichever side is computing.
fn derive(
    own: &SecretKey,
    peer: &PublicKey,
    ua_public: &[u8],
    as_public: &[u8],
    auth: &[u8; 16],
    salt: &[u8; 16],
) -> ([u8; 16], [u8; 12]) {
    let shared = p256::ecdh::diffie_hellman(own.to_nonzero_scalar(), peer.as_affine());
    let mut key_info = Vec::with_capacity(14 + 2 * PUBLIC_KEY_LEN);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public);
    let mut ikm = [0u8; 32];
    expand(
        Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes()),
        &key_info,
        &mut ikm,
    );

    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    expand(prk.clone(), b"Content-Encoding: aes128gcm\0", &mut cek);
    let mut nonce = [0u8; 12];
    expand(prk, b"Content-Encoding: nonce\0", &mut nonce);
    (cek, nonce)
}

fn expand(prk: Hkdf<Sha256>, info: &[u8], out: &mut [u8]) {
    // HKDF-SHA-256 can expand up to 8160 bytes; we ask for at most 32.
    prk.expand(info, out)
        .expect("HKDF output of at most 32 bytes is always valid");
}

/// Accepts only the uncompressed form (0x04, x, y) that RFC 8291 §3.1 requires, and only points
/// on the curve.
pub(crate) fn parse_public_key(bytes: &[u8], field: &'static str) -> Result<PublicKey, PushError> {
    if bytes.len() != PUBLIC_KEY_LEN {
        return Err(PushError::InvalidKeyLength {
            field,
            expected: PUBLIC_KEY_LEN,
            actual: bytes.len(),
        });
    }
    if bytes[0] != 0x04 {
        return Err(PushError::InvalidKey { field });
    }
    PublicKey::from_sec1_bytes(bytes).map_err(|_| PushError::InvalidKey { field })
}

pub(crate) fn encode_point(key: &PublicKey) -> [u8; PUBLIC_KEY_LEN] {
    let point = key.to_encoded_point(false);
    let mut out = [0u8; PUBLIC_KEY_LEN];
    out.copy_from_slice(point.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8291 Appendix A, with the line breaks removed.
    mod rfc8291 {
        pub const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
        pub const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
        pub const AS_PUBLIC: &str =
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
        pub const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
        pub const UA_PUBLIC: &str =
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        pub const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
        pub const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
        pub const BODY: &str = concat!(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLoc",
            "InmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLV",
            "WGNWQexSgSxsj_Qulcy4a-fN",
        );
    }

    fn rfc_keys() -> SubscriptionKeys {
        SubscriptionKeys {
            p256dh: rfc8291::UA_PUBLIC.into(),
            auth: rfc8291::AUTH.into(),
        }
    }

    fn rfc_ephemeral() -> Result<Ephemeral, PushError> {
        Ok(Ephemeral {
            private_key: b64::decode_array(rfc8291::AS_PRIVATE, "as private")?,
            salt: b64::decode_array(rfc8291::SALT, "salt")?,
        })
    }

    #[test]
    fn rfc8291_appendix_a_encrypts_byte_for_byte() -> Result<(), PushError> {
        let body = encrypt_with(
            &rfc_keys(),
            rfc8291::PLAINTEXT.as_bytes(),
            4096,
            &rfc_ephemeral()?,
        )?;
        assert_eq!(b64::encode(&body), rfc8291::BODY);
        let as_secret = SecretKey::from_slice(&rfc_ephemeral()?.private_key)
            .map_err(|_| PushError::InvalidKey { field: "as" })?;
        assert_eq!(
            b64::encode(&encode_point(&as_secret.public_key())),
            rfc8291::AS_PUBLIC
        );
        Ok(())
    }

    #[test]
    fn rfc8291_appendix_a_decrypts() -> Result<(), PushError> {
        let ua_private = b64::decode(rfc8291::UA_PRIVATE, "ua private")?;
        let auth = b64::decode(rfc8291::AUTH, "auth")?;
        let body = b64::decode(rfc8291::BODY, "body")?;
        assert_eq!(
            decrypt(&ua_private, &auth, &body)?,
            rfc8291::PLAINTEXT.as_bytes()
        );
        Ok(())
    }

    #[test]
    fn tampered_body_fails_authentication() -> Result<(), PushError> {
        let ua_private = b64::decode(rfc8291::UA_PRIVATE, "ua private")?;
        let auth = b64::decode(rfc8291::AUTH, "auth")?;
        let mut body = b64::decode(rfc8291::BODY, "body")?;
        let last = body.len() - 1;
        body[last] ^= 1;
        let err = decrypt(&ua_private, &auth, &body).err();
        assert!(matches!(
            err,
            Some(PushError::Decrypt {
                reason: "authentication failed"
            })
        ));
        Ok(())
    }

    #[test]
    fn largest_plaintext_fills_exactly_4096_bytes() -> Result<(), PushError> {
        let ephemeral = rfc_ephemeral()?;
        let body = encrypt_with(&rfc_keys(), &[b'x'; MAX_PLAINTEXT], 4096, &ephemeral)?;
        assert_eq!(body.len(), MAX_BODY);
        let err = encrypt_with(&rfc_keys(), &[b'x'; MAX_PLAINTEXT + 1], 4096, &ephemeral).err();
        assert!(matches!(
            err,
            Some(PushError::PlaintextTooLarge {
                len: 3994,
                max: 3993
            })
        ));
        Ok(())
    }

    #[test]
    fn record_size_must_hold_the_single_record() -> Result<(), PushError> {
        let err = encrypt_with(&rfc_keys(), b"hello", 21, &rfc_ephemeral()?).err();
        assert!(matches!(
            err,
            Some(PushError::RecordSizeTooSmall {
                record_size: 21,
                len: 5
            })
        ));
        let body = encrypt_with(&rfc_keys(), b"hello", 22, &rfc_ephemeral()?)?;
        let ua_private = b64::decode(rfc8291::UA_PRIVATE, "ua private")?;
        let auth = b64::decode(rfc8291::AUTH, "auth")?;
        assert_eq!(decrypt(&ua_private, &auth, &body)?, b"hello");
        Ok(())
    }

    fn check_rejected(keys: SubscriptionKeys, expected: &str) -> Result<(), PushError> {
        match encrypt_with(&keys, b"{}", 4096, &rfc_ephemeral()?) {
            Err(err) => assert_eq!(err.to_string(), expected),
            Ok(_) => panic!("keys {keys:?} were accepted"),
        }
        Ok(())
    }

    #[test]
    fn bad_subscription_keys_are_rejected() -> Result<(), PushError> {
        let ua = rfc8291::UA_PUBLIC;
        let auth = rfc8291::AUTH;
        let keys = |p256dh: &str, auth: &str| SubscriptionKeys {
            p256dh: p256dh.to_owned(),
            auth: auth.to_owned(),
        };
        check_rejected(keys("not base64!", auth), "p256dh is not valid base64url")?;
        check_rejected(keys(&ua[..40], auth), "p256dh must be 65 bytes, got 30")?;
        // Same length, but y flipped: the point is not on the curve.
        let mut off_curve = b64::decode(ua, "ua")?;
        off_curve[64] ^= 1;
        check_rejected(
            keys(&b64::encode(&off_curve), auth),
            "p256dh is not a valid P-256 key",
        )?;
        // Compressed form of a valid key, padded to 65 bytes with a wrong tag.
        let mut wrong_tag = b64::decode(ua, "ua")?;
        wrong_tag[0] = 0x02;
        check_rejected(
            keys(&b64::encode(&wrong_tag), auth),
            "p256dh is not a valid P-256 key",
        )?;
        check_rejected(
            keys(ua, "BTBZMqHH6r4Tts7J"),
            "auth must be 16 bytes, got 12",
        )?;
        check_rejected(keys(ua, "***"), "auth is not valid base64url")?;
        Ok(())
    }

    #[test]
    fn padded_base64_keys_are_accepted() -> Result<(), PushError> {
        let keys = SubscriptionKeys {
            p256dh: format!("{}=", rfc8291::UA_PUBLIC),
            auth: format!("{}==", rfc8291::AUTH),
        };
        let body = encrypt_with(
            &keys,
            rfc8291::PLAINTEXT.as_bytes(),
            4096,
            &rfc_ephemeral()?,
        )?;
        assert_eq!(b64::encode(&body), rfc8291::BODY);
        Ok(())
    }
}
