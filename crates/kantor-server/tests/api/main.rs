//! End-to-end tests of the HTTP API and the realtime gateway against a real server on port 0,
//! each body on SQLite and on PostgreSQL (see `common` for the harness). Two-node tests run on
//! PostgreSQL and NATS only.
//!
//! One test binary with one module per area, so the server is linked once.

#[path = "../common/mod.rs"]
mod common;

mod attendance;
mod auth;
mod chat;
mod cluster;
mod commands;
mod files;
mod groups;
mod imports;
mod integrations;
mod meet;
mod meet_chat;
mod meet_media;
mod members;
mod push;
mod races;
mod realtime;
mod retention;
mod schedule;
mod search;
mod sessions;
mod setup;
mod tenancy;
mod units;
