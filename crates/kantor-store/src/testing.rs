//! Fresh databases for tests, on both backends.
//!
//! `KANTOR_TEST_PG_URL` names a PostgreSQL server (the test command starts a throwaway one);
//! each test gets its own database there, so tests run in parallel without seeing each other.
//! Without the variable, PostgreSQL tests fail loudly rather than pass silently: `make test`
//! always sets it.

use crate::{Result, Store, StoreOptions};

/// A database for one test; dropping it leaves the files for the OS temp cleaner (SQLite) or
/// the throwaway cluster (PostgreSQL), both of which are deleted when the test command ends.
pub struct TestDb {
    pub url: String,
    /// Keeps the SQLite directory alive for the test's duration.
    _dir: Option<TempDirGuard>,
}

struct TempDirGuard(std::path::PathBuf);

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Sqlite,
    Postgres,
}

pub const BOTH: [TestBackend; 2] = [TestBackend::Sqlite, TestBackend::Postgres];

impl TestDb {
    pub async fn new(backend: TestBackend) -> Result<TestDb> {
        let unique = crate::new_id().simple().to_string();
        match backend {
            TestBackend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("kantor-test-{unique}"));
                std::fs::create_dir_all(&dir).map_err(sqlx::Error::Io)?;
                let url = format!("sqlite://{}?mode=rwc", dir.join("kantor.db").display());
                Ok(TestDb {
                    url,
                    _dir: Some(TempDirGuard(dir)),
                })
            }
            TestBackend::Postgres => {
                let base = pg_base_url();
                let admin = Store::connect(&base, &StoreOptions { max_connections: 2 }).await?;
                let name = format!("kantor_test_{unique}");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(admin.reader())
                    .await?;
                admin.close().await;
                let url = match base.rfind('/') {
                    Some(i) if i > "postgres://".len() => format!("{}/{name}", &base[..i]),
                    _ => format!("{base}/{name}"),
                };
                Ok(TestDb { url, _dir: None })
            }
        }
    }

    pub async fn open(&self) -> Result<Store> {
        Store::open(&self.url, &StoreOptions { max_connections: 8 }).await
    }
}

/// The PostgreSQL server for tests. Panics with instructions when unset: a PostgreSQL test that
/// silently did not run would prove nothing.
pub fn pg_base_url() -> String {
    std::env::var("KANTOR_TEST_PG_URL").unwrap_or_else(|_| {
        panic!("KANTOR_TEST_PG_URL is not set: run the tests with `make test`, which starts a throwaway PostgreSQL")
    })
}
