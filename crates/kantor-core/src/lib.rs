//! Kantor's pure domain core.
//!
//! This crate knows nothing about IO: no tokio, no SQL, no HTTP and no clock. Functions that need
//! the time take it as an argument, so every rule here is tested deterministically with plain
//! `#[test]`s.
//!
//! # Layout
//!
//! - [`ids`]: newtype ids (UUIDv7, time-sortable) for every entity.
//! - [`role`]: organisation roles and member status.
//! - [`policy`]: the one place that answers "may this actor do that?".
//! - [`validate`]: field rules shared by every write (emails, names, time zones, passwords).
//! - [`import`]: turning rows of a staff spreadsheet into validated members, with per-row errors.
//! - [`event`]: the realtime event envelope and audiences.
//! - [`chat`]: chat rules (channel names, bodies, mentions, read receipts, do-not-disturb).
//! - [`command`]: slash commands (`/poll`, `/remind` and bots' names).
//! - [`meet`]: meeting rules (numbers, passcodes, roles and states, admission, host actions,
//!   TURN credentials).
//! - [`recurrence`]: meeting series (recurrence with holidays and exceptions, expansion in
//!   each zone) and their iCalendar text.
//! - [`notify`]: who is notified of a new message (preferences, mute, do-not-disturb in their
//!   zone) and the notification's text.
//! - [`search`]: chat search without the database (stemmers, index terms, query parser,
//!   snippets).
//! - [`attendance`]: meeting attendance accounting (stays clamped to a window and merged,
//!   minutes, invitees by person and unit) and who reads which lines.

pub mod attendance;
pub mod chat;
pub mod command;
pub mod event;
pub mod ids;
pub mod import;
pub mod meet;
pub mod notify;
pub mod policy;
pub mod recurrence;
pub mod role;
pub mod search;
pub mod validate;

pub use validate::Invalid;
