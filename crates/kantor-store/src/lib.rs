//! Kantor's storage API: one SQL path over SQLite (embedded default) and PostgreSQL (scale-out).
//!
//! Domain queries are written once, in the SQL both databases understand, and run through
//! sqlx's `Any` driver; the few places that differ (auto-increment columns, row locks, the
//! advisory lock around migrations) ask [`Store::backend`]. The conformance tests in `tests/`
//! run every body against a temporary SQLite file and a fresh PostgreSQL database.
//!
//! Columns use the portable subset: ids are UUIDv7 text, instants are `BIGINT` milliseconds
//! since the epoch (UTC), flags are `BIGINT` 0/1.
//!
//! # Layout
//!
//! - [`db`]: opening pools, the single-writer rule for SQLite, transactions ([`Tx`]).
//! - [`migrate`]: embedded migrations, applied at start and by `kantor migrate`.
//! - [`row`]: small helpers to read typed values out of `Any` rows.
//! - [`accounts`]: users, sessions, API tokens, password resets.
//! - [`orgs`]: organisations, memberships, units, invites, imports.
//! - [`audit`]: the audit log of admin and HR actions.
//! - [`chat`]: conversations, members and read positions, messages, reactions, attachments,
//!   scheduled messages, status and do-not-disturb hours.
//! - [`meet`]: meetings, their participants (members and guests, token hashes) and wrong
//!   passcode counts.
//! - [`search`]: the chat search index (`message_terms`, written with each message), the
//!   search query with the searcher's membership in its SQL, and the rebuild.
//! - [`retention`]: chat retention policies, legal holds, the purge in bounded batches, and
//!   chat exports.
//! - [`schedule`]: scheduled meetings' invitees, the organisation's holidays, calendar feed
//!   tokens, and finding a person's meetings in a window.
//! - [`attendance`]: meeting attendance stays (opened when a participant enters the room,
//!   closed when they leave) and what the attendance report reads with them.
//! - [`files`]: metadata of stored blobs.
//! - [`push`]: Web Push subscriptions and who, among a conversation's members, may be notified.
//! - [`integrations`]: bot users, incoming and outgoing webhooks, the webhook host allow-list.
//! - [`commands`]: what slash commands write: polls and votes, reminders, the organisation's
//!   own bot, bots' commands and interaction URLs.
//! - [`events`]: the outbox, the relay that numbers events, and reads for resume.
//! - [`jobs`]: the durable, leased job queue.
//! - [`limits`]: login attempt counts shared by all nodes.
//! - [`settings`]: server-wide key/value settings (setup token).
//! - [`testing`]: fresh databases for tests on both backends.

pub mod accounts;
pub mod attendance;
pub mod audit;
pub mod chat;
pub mod commands;
pub mod db;
pub mod events;
pub mod files;
pub mod integrations;
pub mod jobs;
pub mod limits;
pub mod meet;
pub mod migrate;
pub mod orgs;
pub mod push;
pub mod retention;
pub mod row;
pub mod schedule;
pub mod search;
pub mod settings;
pub mod testing;

pub use db::{Backend, Store, StoreOptions, Tx};

/// A database connection (inside a [`Tx`] or from the read pool).
pub type Conn = sqlx::AnyConnection;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row (in this organisation).
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint refused the write; the string names the constraint or column.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored value could not be read back (corrupt or from a newer version).
    #[error("corrupt value in column {0}")]
    Corrupt(&'static str),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Maps unique-violation database errors to [`StoreError::Conflict`], naming what collided.
    pub fn from_write(err: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let msg = db.message().to_string();
                let what = db.constraint().map(str::to_string).unwrap_or(msg);
                return StoreError::Conflict(what);
            }
        }
        StoreError::Database(err)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Generates a new time-sortable id.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
