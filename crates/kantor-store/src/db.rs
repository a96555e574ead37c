//! Pools and transactions.
//!
//! SQLite allows one writer at a time. Rather than let several pooled connections race for the
//! write lock (and fail with `SQLITE_BUSY` when a deferred transaction tries to upgrade), every
//! write goes through a pool of exactly one connection, and reads use a separate pool that WAL
//! lets run alongside it. On PostgreSQL both are the same pool.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Executor};
use tokio::sync::Notify;

use crate::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Connections in the read pool (and the only pool on PostgreSQL).
    pub max_connections: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
        }
    }
}

#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
    /// Woken after a transaction that emitted events commits, so the relay numbers and
    /// publishes them at once instead of on its next poll.
    events_written: Arc<Notify>,
    /// Counts committed transactions that emitted events, so caches of derived reads can tell
    /// that something changed on this node without asking the database.
    writes: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens `url` (`sqlite://path?mode=rwc` or `postgres://…`) and applies pending migrations.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Store> {
        let store = Store::connect(url, options).await?;
        crate::migrate::run(&store).await?;
        Ok(store)
    }

    /// Opens `url` without migrating.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported database URL scheme in {:?}", redact(url)).into(),
            )
            .into());
        };
        let connect = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let store = match backend {
            Backend::Sqlite => {
                let pragmas = sqlite_pragmas;
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(pragmas)
                    .connect_with(connect.clone())
                    .await?;
                let read = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(1))
                    .after_connect(pragmas)
                    .connect_with(connect)
                    .await?;
                Store {
                    read,
                    write,
                    backend,
                    events_written: Arc::new(Notify::new()),
                    writes: Default::default(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(connect)
                    .await?;
                Store {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    events_written: Arc::new(Notify::new()),
                    writes: Default::default(),
                }
            }
        };
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for reads outside a transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// A connection from the read pool, for several reads outside a transaction.
    pub async fn read_conn(&self) -> Result<sqlx::pool::PoolConnection<Any>> {
        Ok(self.read.acquire().await?)
    }

    /// Begins a write transaction. On SQLite this waits for the single writer connection.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = self.write.begin().await?;
        Ok(Tx {
            inner,
            emitted: false,
            events_written: self.events_written.clone(),
            writes: self.writes.clone(),
        })
    }

    /// Resolves when a transaction with events has committed since the last call (or at once
    /// if one did before the call).
    pub async fn events_written(&self) {
        self.events_written.notified().await
    }

    /// How many transactions with events this node has committed (see [`Store::begin`]).
    pub fn write_generation(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Pool figures for `/metrics`: (read connections, idle read connections).
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.read.size(), self.read.num_idle())
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    pub(crate) emitted: bool,
    events_written: Arc<Notify>,
    writes: Arc<std::sync::atomic::AtomicU64>,
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        self.inner.commit().await?;
        if self.emitted {
            self.writes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.events_written.notify_one();
        }
        Ok(())
    }

    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

/// Writes a consistent copy of a SQLite database to `path` (already quote-escaped) while it
/// stays in use.
pub async fn backup_sqlite(store: &Store, escaped_path: &str) -> Result<()> {
    sqlx::query(&format!("VACUUM INTO '{escaped_path}'"))
        .execute(store.reader())
        .await?;
    Ok(())
}

/// Whether the database has Kantor's migration table.
pub async fn is_kantor_database(store: &Store) -> bool {
    sqlx::query("SELECT version FROM kantor_migrations")
        .fetch_all(store.reader())
        .await
        .is_ok()
}

/// Per-connection SQLite settings. `synchronous=FULL`: an acknowledged commit is on disk, even
/// after power loss.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;")
            .await?;
        Ok(())
    })
}

/// The URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            super::redact("postgres://k:secret@db:5432/k"),
            "postgres://k:***@db:5432/k"
        );
        assert_eq!(
            super::redact("sqlite:///data/kantor.db"),
            "sqlite:///data/kantor.db"
        );
    }
}
