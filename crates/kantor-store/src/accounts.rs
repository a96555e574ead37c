//! Accounts: users, sessions, API tokens and password resets.
//!
//! Secrets are never stored: sessions, API tokens, invite and reset links are random tokens of
//! which only a SHA-256 hash is kept (the server hashes; this module only sees hashes).

use kantor_core::ids::{SessionId, TokenId, UserId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::row::{flag, RowExt};
use crate::{new_id, Result, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub language: String,
    pub time_zone: String,
    pub avatar_file_id: Option<String>,
    pub totp_enabled: bool,
    pub created_at: i64,
}

/// What login needs besides the public profile.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub language: &'a str,
    pub time_zone: &'a str,
}

#[derive(Clone, Debug, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub language: Option<String>,
    pub time_zone: Option<String>,
    pub avatar_file_id: Option<String>,
}

const USER_COLS: &str =
    "id, email, name, phone, language, time_zone, avatar_file_id, totp_enabled, created_at";

fn user_from(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.parse("id")?,
        email: row.text("email")?,
        name: row.text("name")?,
        phone: row.opt_text("phone")?,
        language: row.text("language")?,
        time_zone: row.text("time_zone")?,
        avatar_file_id: row.opt_text("avatar_file_id")?,
        totp_enabled: row.flag("totp_enabled")?,
        created_at: row.int("created_at")?,
    })
}

#[derive(Clone, Debug)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub csrf_token: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

fn session_from(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: row.parse("id")?,
        user_id: row.parse("user_id")?,
        csrf_token: row.text("csrf_token")?,
        user_agent: row.opt_text("user_agent")?,
        ip: row.opt_text("ip")?,
        created_at: row.int("created_at")?,
        last_seen_at: row.int("last_seen_at")?,
        expires_at: row.int("expires_at")?,
    })
}

#[derive(Clone, Debug)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

fn token_from(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.parse("id")?,
        user_id: row.parse("user_id")?,
        name: row.text("name")?,
        created_at: row.int("created_at")?,
        last_used_at: row.opt_int("last_used_at")?,
    })
}

/// Inserts a user; `Conflict` when the email is taken.
pub async fn insert_user(conn: &mut AnyConnection, new: &NewUser<'_>, now: i64) -> Result<User> {
    let id = UserId(new_id());
    sqlx::query(
        "INSERT INTO users (id, email, name, phone, password_hash, language, time_zone, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.to_string())
    .bind(new.email)
    .bind(new.name)
    .bind(new.phone)
    .bind(new.password_hash)
    .bind(new.language)
    .bind(new.time_zone)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from_write)?;
    user_by_id(conn, id).await
}

pub async fn user_by_id(conn: &mut AnyConnection, id: UserId) -> Result<User> {
    let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    user_from(&row)
}

pub async fn user_id_by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<UserId>> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await?;
    id.map(|s| s.parse().map_err(|_| StoreError::Corrupt("id")))
        .transpose()
}

pub async fn update_user(
    conn: &mut AnyConnection,
    id: UserId,
    patch: &UserPatch,
    now: i64,
) -> Result<User> {
    let current = user_by_id(conn, id).await?;
    let phone = match &patch.phone {
        Some(p) => p.clone(),
        None => current.phone.clone(),
    };
    sqlx::query(
        "UPDATE users SET name = $2, phone = $3, language = $4, time_zone = $5, avatar_file_id = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(patch.name.as_ref().unwrap_or(&current.name))
    .bind(phone)
    .bind(patch.language.as_ref().unwrap_or(&current.language))
    .bind(patch.time_zone.as_ref().unwrap_or(&current.time_zone))
    .bind(patch.avatar_file_id.as_ref().or(current.avatar_file_id.as_ref()))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    user_by_id(conn, id).await
}

pub async fn has_password(conn: &mut AnyConnection, id: UserId) -> Result<bool> {
    let h: Option<Option<String>> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(h.flatten().is_some())
}

pub async fn set_password(
    conn: &mut AnyConnection,
    id: UserId,
    hash: &str,
    now: i64,
) -> Result<()> {
    let done = sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(hash)
        .bind(now)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Stores a TOTP secret; `enabled` says whether login now requires it.
pub async fn set_totp(
    conn: &mut AnyConnection,
    id: UserId,
    secret: Option<&str>,
    enabled: bool,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = $2, totp_enabled = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(secret)
    .bind(flag(enabled))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn user(&self, id: UserId) -> Result<User> {
        user_by_id(&mut *self.reader().acquire().await?, id).await
    }

    /// Credentials for login, looked up by normalised email.
    pub async fn credentials_by_email(&self, email: &str) -> Result<Option<Credentials>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, password_hash, totp_secret FROM users WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(self.reader())
        .await?;
        row.map(|row| {
            Ok(Credentials {
                user: user_from(&row)?,
                password_hash: row.opt_text("password_hash")?,
                totp_secret: row.opt_text("totp_secret")?,
            })
        })
        .transpose()
    }

    pub async fn credentials(&self, id: UserId) -> Result<Credentials> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, password_hash, totp_secret FROM users WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(Credentials {
            user: user_from(&row)?,
            password_hash: row.opt_text("password_hash")?,
            totp_secret: row.opt_text("totp_secret")?,
        })
    }

    /// Users by id, for building member lists.
    pub async fn users(&self, ids: &[UserId]) -> Result<Vec<User>> {
        let mut out = Vec::with_capacity(ids.len());
        let mut conn = self.reader().acquire().await?;
        for id in ids {
            out.push(user_by_id(&mut conn, *id).await?);
        }
        Ok(out)
    }

    // --- sessions ---------------------------------------------------------------------------
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_session(
    conn: &mut AnyConnection,
    user_id: UserId,
    token_hash: &str,
    csrf_token: &str,
    user_agent: Option<&str>,
    ip: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<Session> {
    let id = SessionId(new_id());
    sqlx::query(
            "INSERT INTO sessions (id, user_id, token_hash, csrf_token, user_agent, ip, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
        )
        .bind(id.to_string())
        .bind(user_id.to_string())
        .bind(token_hash)
        .bind(csrf_token)
        .bind(user_agent)
        .bind(ip)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query("SELECT * FROM sessions WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    session_from(&row)
}

impl Store {
    /// A live session by token hash (expired sessions are not found).
    pub async fn session_by_hash(&self, token_hash: &str, now: i64) -> Result<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(session_from).transpose()
    }

    /// Records that a session was used; callers throttle this (it is a write).
    pub async fn touch_session(&self, id: SessionId, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(now)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    pub async fn sessions_of(&self, user_id: UserId, now: i64) -> Result<Vec<Session>> {
        let rows = sqlx::query("SELECT * FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC")
            .bind(user_id.to_string())
            .bind(now)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(session_from).collect()
    }

    // --- API tokens -------------------------------------------------------------------------

    pub async fn tokens_of(&self, user_id: UserId) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT * FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC",
        )
        .bind(user_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(token_from).collect()
    }

    /// A live token's owner by token hash.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let row =
            sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
        row.as_ref().map(token_from).transpose()
    }
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    user_id: UserId,
    name: &str,
    token_hash: &str,
    now: i64,
) -> Result<ApiToken> {
    let id = TokenId(new_id());
    sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.to_string())
        .bind(user_id.to_string())
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(ApiToken {
        id,
        user_id,
        name: name.to_string(),
        created_at: now,
        last_used_at: None,
    })
}

/// Revokes one of the user's tokens; `NotFound` if it is not theirs or already revoked.
pub async fn revoke_token(
    conn: &mut AnyConnection,
    user_id: UserId,
    id: TokenId,
    now: i64,
) -> Result<()> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
        .bind(id.to_string())
        .bind(user_id.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Revokes all of a user's tokens; returns their hashes so caches can drop them.
pub async fn revoke_all_tokens(
    conn: &mut AnyConnection,
    user_id: UserId,
    now: i64,
) -> Result<Vec<String>> {
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT token_hash FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user_id.to_string())
        .bind(now)
        .execute(conn)
        .await?;
    Ok(hashes)
}

pub async fn token_hash_of(conn: &mut AnyConnection, id: TokenId) -> Result<String> {
    sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Deletes sessions of a user (all, or all but `keep`); returns the deleted token hashes.
pub async fn delete_sessions(
    conn: &mut AnyConnection,
    user_id: UserId,
    keep: Option<SessionId>,
) -> Result<Vec<String>> {
    let keep = keep.map(|k| k.to_string()).unwrap_or_default();
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id.to_string())
            .bind(&keep)
            .fetch_all(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id.to_string())
        .bind(&keep)
        .execute(conn)
        .await?;
    Ok(hashes)
}

/// Deletes one session of the user; returns its token hash.
pub async fn delete_session(
    conn: &mut AnyConnection,
    user_id: UserId,
    id: SessionId,
) -> Result<String> {
    let hash: String =
        sqlx::query_scalar("SELECT token_hash FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user_id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(hash)
}

// --- password resets --------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct PasswordReset {
    pub id: String,
    pub user_id: UserId,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_password_reset(
    conn: &mut AnyConnection,
    user_id: UserId,
    token_hash: &str,
    created_by: Option<UserId>,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (id, user_id, token_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id().to_string())
    .bind(user_id.to_string())
    .bind(token_hash)
    .bind(created_by.map(|u| u.to_string()))
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn password_reset_by_hash(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<PasswordReset> {
    let row = sqlx::query(
        "SELECT id, user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(PasswordReset {
        id: row.text("id")?,
        user_id: row.parse("user_id")?,
        expires_at: row.int("expires_at")?,
        used_at: row.opt_int("used_at")?,
    })
}

/// Marks a reset link used, once: `Conflict` if another request used it first.
pub async fn use_password_reset(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    let done =
        sqlx::query("UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("reset link already used".into()));
    }
    Ok(())
}

/// Every account id (for `kantor admin user list`).
pub async fn all_user_ids(store: &Store) -> Result<Vec<UserId>> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM users ORDER BY email")
        .fetch_all(store.reader())
        .await?;
    ids.iter()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("id")))
        .collect()
}
