//! Embedded migrations, written once for both databases.
//!
//! Each migration is one SQL file; the only dialect difference is `{{autoincrement}}`. Applied
//! migrations are recorded in `kantor_migrations`. On PostgreSQL an advisory lock makes
//! concurrent starts of several nodes apply each migration exactly once.

use sqlx::Executor;

use crate::db::{Backend, Store};
use crate::Result;

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "login_attempts",
        sql: include_str!("../migrations/0002_login_attempts.sql"),
    },
    Migration {
        version: 3,
        name: "chat",
        sql: include_str!("../migrations/0003_chat.sql"),
    },
    Migration {
        version: 4,
        name: "meetings",
        sql: include_str!("../migrations/0004_meetings.sql"),
    },
    Migration {
        version: 5,
        name: "meeting_chat",
        sql: include_str!("../migrations/0005_meeting_chat.sql"),
    },
    Migration {
        version: 6,
        name: "super_groups",
        sql: include_str!("../migrations/0006_super_groups.sql"),
    },
    Migration {
        version: 7,
        name: "search",
        sql: include_str!("../migrations/0007_search.sql"),
    },
    Migration {
        version: 8,
        name: "bots_webhooks",
        sql: include_str!("../migrations/0008_bots_webhooks.sql"),
    },
    Migration {
        version: 9,
        name: "retention",
        sql: include_str!("../migrations/0009_retention.sql"),
    },
    Migration {
        version: 10,
        name: "push",
        sql: include_str!("../migrations/0010_push.sql"),
    },
    Migration {
        version: 11,
        name: "commands_polls",
        sql: include_str!("../migrations/0011_commands_polls.sql"),
    },
    Migration {
        version: 13,
        name: "meeting_schedule",
        sql: include_str!("../migrations/0013_meeting_schedule.sql"),
    },
];

/// An arbitrary constant that names Kantor's migration lock among PostgreSQL advisory locks.
const PG_MIGRATION_LOCK: i64 = 0x6b61_6e74_6f72;

fn render(sql: &str, backend: Backend) -> String {
    let autoincrement = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    sql.replace("{{autoincrement}}", autoincrement)
}

/// Applies every pending migration; returns how many were applied.
pub async fn run(store: &Store) -> Result<usize> {
    let mut tx = store.begin().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query(&format!(
            "SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"
        ))
        .execute(tx.conn())
        .await?;
    }
    tx.conn()
        .execute(
            "CREATE TABLE IF NOT EXISTS kantor_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM kantor_migrations")
        .fetch_all(tx.conn())
        .await?;
    let mut count = 0;
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = render(m.sql, store.backend());
        sqlx::raw_sql(&sql).execute(tx.conn()).await?;
        sqlx::query(
            "INSERT INTO kantor_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        count += 1;
    }
    tx.commit().await?;
    Ok(count)
}

/// The newest migration this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// Migration bookkeeping is the one place the store reads the clock itself: it records when a
/// schema change happened, which no domain rule depends on.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
