//! The audit log: who did what to whom, for admin and HR actions. Written in the same
//! transaction as the action, so an action without its audit entry cannot exist.

use kantor_core::ids::{AuditId, OrgId, UserId};
use sqlx::AnyConnection;

use crate::row::RowExt;
use crate::{new_id, Result, Store};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: AuditId,
    pub org_id: OrgId,
    pub at: i64,
    pub actor_user_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// JSON object with action-specific detail (never secrets or health data).
    pub detail: String,
}

pub async fn record(
    conn: &mut AnyConnection,
    org_id: OrgId,
    actor: Option<UserId>,
    action: &str,
    target: Option<&str>,
    detail: &serde_json::Value,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, at, actor_user_id, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id().to_string())
    .bind(org_id.to_string())
    .bind(now)
    .bind(actor.map(|a| a.to_string()))
    .bind(action)
    .bind(target)
    .bind(detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// A page of the audit log, newest first; `before` is an exclusive cursor.
    pub async fn audit(
        &self,
        org_id: OrgId,
        before: Option<AuditId>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let before = before
            .map(|b| b.to_string())
            .unwrap_or_else(|| "~".to_string());
        let rows = sqlx::query(&format!(
            "SELECT a.*, u.name AS actor_name FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
             WHERE a.org_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT {}",
            limit.clamp(1, 500)
        ))
        .bind(org_id.to_string())
        .bind(before)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.parse("id")?,
                    org_id: row.parse("org_id")?,
                    at: row.int("at")?,
                    actor_user_id: row.opt_parse("actor_user_id")?,
                    actor_name: row.opt_text("actor_name")?,
                    action: row.text("action")?,
                    target: row.opt_text("target")?,
                    detail: row.text("detail")?,
                })
            })
            .collect()
    }
}
