//! Passwords and random tokens.
//!
//! Passwords are hashed with argon2id. Session cookies, API tokens, invite and reset links are
//! 256-bit random tokens; only their SHA-256 is stored, so a leaked database does not leak a
//! usable credential. A fast hash is right for those (they are random, not guessable), and keeps
//! the per-request check cheap.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the email is unknown, so that a login for an unknown email
/// costs the same time as one with a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// A new random token with a readable prefix (`ks_` session, `kt_` API token, `ki_` invite, …).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// SHA-256 of bytes, hex (file checksums).
pub fn token_hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// TOTP (RFC 6238, SHA-1, 6 digits, 30 s) as authenticator apps expect.
pub mod totp {
    use totp_rs::{Algorithm, Secret, TOTP};

    pub fn new_secret() -> String {
        let mut bytes = [0u8; 20];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        match Secret::Raw(bytes.to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!("to_encoded returns the encoded form"),
        }
    }

    fn totp(secret_b32: &str) -> Option<TOTP> {
        let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
        TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes).into()
    }

    /// Whether `code` is valid at `now_ms` (one step of skew either way).
    pub fn check(secret_b32: &str, code: &str, now_ms: i64) -> bool {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        match totp(secret_b32) {
            Some(t) => t.check(&code, (now_ms / 1000).max(0) as u64),
            None => false,
        }
    }

    /// The code at `now_ms` (tests and the bench use it to log in).
    pub fn code_at(secret_b32: &str, now_ms: i64) -> String {
        totp(secret_b32)
            .map(|t| t.generate((now_ms / 1000).max(0) as u64))
            .unwrap_or_default()
    }

    pub fn otpauth_url(secret_b32: &str, account: &str) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        format!("otpauth://totp/Kantor:{}?secret={secret_b32}&issuer=Kantor&algorithm=SHA1&digits=6&period=30", enc(account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("rahasia-sekali").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("rahasia-sekali", &h));
        assert!(!verify_password("rahasia-Sekali", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token("kt_");
        assert!(a.starts_with("kt_") && a.len() > 40);
        assert_ne!(a, new_token("kt_"));
        assert_eq!(token_hash(&a).len(), 64);
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("a", "ab")
        );
    }

    #[test]
    fn totp_codes_check_within_one_step() {
        let s = totp::new_secret();
        let t = 1_795_000_000_000;
        let code = totp::code_at(&s, t);
        assert_eq!(code.len(), 6);
        assert!(totp::check(&s, &code, t));
        assert!(totp::check(&s, &code, t + 30_000));
        assert!(!totp::check(&s, &code, t + 120_000));
        assert!(totp::otpauth_url(&s, "a@b.id").contains("Kantor:a%40b.id"));
    }
}
