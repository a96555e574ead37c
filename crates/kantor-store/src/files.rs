//! Metadata of stored blobs. The bytes live in the blob store (local disk or S3); this table
//! says who owns a file, what it is, and which organisation may read it.

use kantor_core::ids::{FileId, OrgId, UserId};
use sqlx::AnyConnection;

use crate::row::RowExt;
use crate::{Result, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub id: FileId,
    pub org_id: Option<OrgId>,
    pub owner_user_id: Option<UserId>,
    pub purpose: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub created_at: i64,
}

pub async fn insert_file(conn: &mut AnyConnection, f: &FileMeta) -> Result<()> {
    sqlx::query(
        "INSERT INTO files (id, org_id, owner_user_id, purpose, content_type, size_bytes, sha256, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(f.id.to_string())
    .bind(f.org_id.map(|o| o.to_string()))
    .bind(f.owner_user_id.map(|o| o.to_string()))
    .bind(&f.purpose)
    .bind(&f.content_type)
    .bind(f.size_bytes)
    .bind(&f.sha256)
    .bind(f.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn file(&self, id: FileId) -> Result<FileMeta> {
        let row = sqlx::query("SELECT * FROM files WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(FileMeta {
            id: row.parse("id")?,
            org_id: row.opt_parse("org_id")?,
            owner_user_id: row.opt_parse("owner_user_id")?,
            purpose: row.text("purpose")?,
            content_type: row.text("content_type")?,
            size_bytes: row.int("size_bytes")?,
            sha256: row.text("sha256")?,
            created_at: row.int("created_at")?,
        })
    }

    /// Whether two users share an organisation (so one may see the other's avatar).
    pub async fn share_an_org(&self, a: UserId, b: UserId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships x JOIN memberships y ON x.org_id = y.org_id WHERE x.user_id = $1 AND y.user_id = $2",
        )
        .bind(a.to_string())
        .bind(b.to_string())
        .fetch_one(self.reader())
        .await?;
        Ok(n > 0)
    }
}
