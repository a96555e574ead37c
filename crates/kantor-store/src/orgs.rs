//! Organisations, memberships, units, invites and imports. Every query here is scoped by
//! `org_id`: a row of another organisation is simply not found.

use kantor_core::ids::{ImportId, InviteId, OrgId, UnitId, UserId};
use kantor_core::role::{MemberStatus, Role};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::accounts::User;
use crate::row::{flag, RowExt};
use crate::{new_id, Result, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub default_time_zone: String,
    pub require_2fa_for_admins: bool,
    pub created_at: i64,
}

fn org_from(row: &AnyRow) -> Result<Org> {
    Ok(Org {
        id: row.parse("id")?,
        name: row.text("name")?,
        default_time_zone: row.text("default_time_zone")?,
        require_2fa_for_admins: row.flag("require_2fa_for_admins")?,
        created_at: row.int("created_at")?,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: Role,
    pub status: MemberStatus,
    pub unit_id: Option<UnitId>,
    pub position: Option<String>,
    pub employee_number: Option<String>,
    pub created_at: i64,
}

fn membership_from(row: &AnyRow) -> Result<Membership> {
    Ok(Membership {
        org_id: row.parse("org_id")?,
        user_id: row.parse("user_id")?,
        role: Role::parse(&row.text("role")?).ok_or(StoreError::Corrupt("role"))?,
        status: MemberStatus::parse(&row.text("status")?).ok_or(StoreError::Corrupt("status"))?,
        unit_id: row.opt_parse("unit_id")?,
        position: row.opt_text("position")?,
        employee_number: row.opt_text("employee_number")?,
        created_at: row.int("created_at")?,
    })
}

/// A member as lists show them: the account and the membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub membership: Membership,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    pub id: UnitId,
    pub org_id: OrgId,
    pub parent_id: Option<UnitId>,
    pub name: String,
    pub leader_user_id: Option<UserId>,
    /// The leader's name, so a tree of any size shows it without loading every member.
    pub leader_name: Option<String>,
    pub member_count: i64,
}

#[derive(Clone, Debug)]
pub struct NewMembership<'a> {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: Role,
    pub status: MemberStatus,
    pub unit_id: Option<UnitId>,
    pub position: Option<&'a str>,
    pub employee_number: Option<&'a str>,
}

#[derive(Clone, Debug, Default)]
pub struct MembershipPatch {
    pub role: Option<Role>,
    pub status: Option<MemberStatus>,
    pub unit_id: Option<Option<UnitId>>,
    pub position: Option<Option<String>>,
    pub employee_number: Option<Option<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct MemberQuery {
    /// Matches name, email or employee number (case-insensitive substring).
    pub q: Option<String>,
    pub unit_id: Option<UnitId>,
    pub role: Option<Role>,
    pub status: Option<MemberStatus>,
    /// Exclusive: members whose user id sorts after this one.
    pub after: Option<UserId>,
    pub limit: i64,
}

pub async fn insert_org(
    conn: &mut AnyConnection,
    name: &str,
    default_time_zone: &str,
    now: i64,
) -> Result<Org> {
    let id = OrgId(new_id());
    sqlx::query("INSERT INTO orgs (id, name, default_time_zone, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(id.to_string())
        .bind(name)
        .bind(default_time_zone)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    org_by_id(conn, id).await
}

pub async fn org_by_id(conn: &mut AnyConnection, id: OrgId) -> Result<Org> {
    let row = sqlx::query("SELECT * FROM orgs WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    org_from(&row)
}

pub async fn update_org(
    conn: &mut AnyConnection,
    id: OrgId,
    name: &str,
    default_time_zone: &str,
    require_2fa_for_admins: bool,
    now: i64,
) -> Result<Org> {
    sqlx::query("UPDATE orgs SET name = $2, default_time_zone = $3, require_2fa_for_admins = $4, updated_at = $5 WHERE id = $1")
        .bind(id.to_string())
        .bind(name)
        .bind(default_time_zone)
        .bind(flag(require_2fa_for_admins))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    org_by_id(conn, id).await
}

pub async fn count_orgs(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
        .fetch_one(conn)
        .await?)
}

/// Inserts a membership; `Conflict` when the person is already a member or the employee
/// number is taken in this organisation.
pub async fn insert_membership(
    conn: &mut AnyConnection,
    m: &NewMembership<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role, status, unit_id, position, employee_number, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(m.org_id.to_string())
    .bind(m.user_id.to_string())
    .bind(m.role.as_str())
    .bind(m.status.as_str())
    .bind(m.unit_id.map(|u| u.to_string()))
    .bind(m.position)
    .bind(m.employee_number)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

pub async fn membership(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user_id: UserId,
) -> Result<Membership> {
    let row = sqlx::query("SELECT * FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    membership_from(&row)
}

pub async fn update_membership(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user_id: UserId,
    patch: &MembershipPatch,
    now: i64,
) -> Result<Membership> {
    let cur = membership(conn, org_id, user_id).await?;
    sqlx::query(
        "UPDATE memberships SET role = $3, status = $4, unit_id = $5, position = $6, employee_number = $7, updated_at = $8
         WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org_id.to_string())
    .bind(user_id.to_string())
    .bind(patch.role.unwrap_or(cur.role).as_str())
    .bind(patch.status.unwrap_or(cur.status).as_str())
    .bind(patch.unit_id.unwrap_or(cur.unit_id).map(|u| u.to_string()))
    .bind(patch.position.clone().unwrap_or(cur.position))
    .bind(patch.employee_number.clone().unwrap_or(cur.employee_number))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from_write)?;
    membership(conn, org_id, user_id).await
}

/// Active memberships of a user in organisations other than `org_id`.
pub async fn active_memberships_elsewhere(
    conn: &mut AnyConnection,
    user_id: UserId,
    org_id: OrgId,
) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND org_id <> $2 AND status = 'active'")
        .bind(user_id.to_string())
        .bind(org_id.to_string())
        .fetch_one(conn)
        .await?)
}

/// Number of active owners, so the last one cannot be demoted or deactivated.
pub async fn count_active_owners(conn: &mut AnyConnection, org_id: OrgId) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner' AND status = 'active'")
        .bind(org_id.to_string())
        .fetch_one(conn)
        .await?)
}

fn member_from(row: &AnyRow) -> Result<Member> {
    Ok(Member {
        user: User {
            id: row.parse("user_id")?,
            email: row.text("email")?,
            name: row.text("name")?,
            phone: row.opt_text("phone")?,
            language: row.text("language")?,
            time_zone: row.text("time_zone")?,
            avatar_file_id: row.opt_text("avatar_file_id")?,
            totp_enabled: row.flag("totp_enabled")?,
            created_at: row.int("user_created_at")?,
        },
        membership: membership_from(row)?,
    })
}

const MEMBER_SELECT: &str = "SELECT m.*, u.email, u.name, u.phone, u.language, u.time_zone, u.avatar_file_id, u.totp_enabled, u.created_at AS user_created_at
     FROM memberships m JOIN users u ON u.id = m.user_id";

impl Store {
    pub async fn org(&self, id: OrgId) -> Result<Org> {
        org_by_id(&mut *self.reader().acquire().await?, id).await
    }

    /// Every membership of a user with its organisation, oldest first.
    pub async fn memberships_of(&self, user_id: UserId) -> Result<Vec<(Org, Membership)>> {
        let rows = sqlx::query(
            "SELECT m.*, o.name AS org_name, o.default_time_zone, o.require_2fa_for_admins, o.created_at AS org_created_at
             FROM memberships m JOIN orgs o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY m.created_at, m.org_id",
        )
        .bind(user_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let org = Org {
                    id: row.parse("org_id")?,
                    name: row.text("org_name")?,
                    default_time_zone: row.text("default_time_zone")?,
                    require_2fa_for_admins: row.flag("require_2fa_for_admins")?,
                    created_at: row.int("org_created_at")?,
                };
                Ok((org, membership_from(row)?))
            })
            .collect()
    }

    pub async fn membership(&self, org_id: OrgId, user_id: UserId) -> Result<Membership> {
        membership(&mut *self.reader().acquire().await?, org_id, user_id).await
    }

    pub async fn member(&self, org_id: OrgId, user_id: UserId) -> Result<Member> {
        let row = sqlx::query(&format!(
            "{MEMBER_SELECT} WHERE m.org_id = $1 AND m.user_id = $2"
        ))
        .bind(org_id.to_string())
        .bind(user_id.to_string())
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        member_from(&row)
    }

    /// A page of members ordered by user id (time-sortable, so roughly by join order).
    pub async fn members(&self, org_id: OrgId, query: &MemberQuery) -> Result<Vec<Member>> {
        let mut sql = format!("{MEMBER_SELECT} WHERE m.org_id = $1");
        let mut n = 1;
        let mut binds: Vec<String> = vec![org_id.to_string()];
        let mut push = |sql: &mut String, clause: &str, value: String| {
            n += 1;
            sql.push_str(&clause.replace("$?", &format!("${n}")));
            binds.push(value);
        };
        if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = format!(
                "%{}%",
                q.to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            push(
                &mut sql,
                " AND (LOWER(u.name) LIKE $? ESCAPE '\\' OR u.email LIKE $? ESCAPE '\\' OR LOWER(COALESCE(m.employee_number, '')) LIKE $? ESCAPE '\\')",
                pattern,
            );
        }
        if let Some(unit) = query.unit_id {
            push(&mut sql, " AND m.unit_id = $?", unit.to_string());
        }
        if let Some(role) = query.role {
            push(&mut sql, " AND m.role = $?", role.as_str().to_string());
        }
        if let Some(status) = query.status {
            push(&mut sql, " AND m.status = $?", status.as_str().to_string());
        }
        if let Some(after) = query.after {
            push(&mut sql, " AND m.user_id > $?", after.to_string());
        }
        sql.push_str(&format!(
            " ORDER BY m.user_id LIMIT {}",
            query.limit.clamp(1, 500)
        ));
        let mut q = sqlx::query(&sql);
        for b in &binds {
            q = q.bind(b.as_str());
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(member_from).collect()
    }

    pub async fn count_members(&self, org_id: OrgId) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND status <> 'deactivated'",
        )
        .bind(org_id.to_string())
        .fetch_one(self.reader())
        .await?)
    }

    /// Emails and employee numbers already used in the organisation (for import checks).
    pub async fn member_keys(&self, org_id: OrgId) -> Result<(Vec<String>, Vec<String>)> {
        let rows = sqlx::query(
            "SELECT u.email, m.employee_number FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1",
        )
        .bind(org_id.to_string())
        .fetch_all(self.reader())
        .await?;
        let mut emails = Vec::with_capacity(rows.len());
        let mut numbers = Vec::new();
        for row in &rows {
            emails.push(row.text("email")?);
            if let Some(n) = row.opt_text("employee_number")? {
                numbers.push(n);
            }
        }
        Ok((emails, numbers))
    }

    pub async fn units(&self, org_id: OrgId) -> Result<Vec<Unit>> {
        units(&mut *self.reader().acquire().await?, org_id).await
    }
}

// --- units ------------------------------------------------------------------------------------

pub async fn units(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<Unit>> {
    let rows = sqlx::query(
        "SELECT u.*, l.name AS leader_name,
                (SELECT COUNT(*) FROM memberships m WHERE m.unit_id = u.id AND m.status <> 'deactivated') AS member_count
         FROM units u LEFT JOIN users l ON l.id = u.leader_user_id
         WHERE u.org_id = $1 ORDER BY u.name, u.id",
    )
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Unit {
                id: row.parse("id")?,
                org_id: row.parse("org_id")?,
                parent_id: row.opt_parse("parent_id")?,
                name: row.text("name")?,
                leader_user_id: row.opt_parse("leader_user_id")?,
                leader_name: row.opt_text("leader_name")?,
                member_count: row.int("member_count")?,
            })
        })
        .collect()
}

pub async fn unit(conn: &mut AnyConnection, org_id: OrgId, id: UnitId) -> Result<Unit> {
    units(conn, org_id)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or(StoreError::NotFound)
}

pub async fn insert_unit(
    conn: &mut AnyConnection,
    org_id: OrgId,
    parent_id: Option<UnitId>,
    name: &str,
    leader: Option<UserId>,
    now: i64,
) -> Result<UnitId> {
    let id = UnitId(new_id());
    sqlx::query(
        "INSERT INTO units (id, org_id, parent_id, name, leader_user_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(parent_id.map(|p| p.to_string()))
    .bind(name)
    .bind(leader.map(|l| l.to_string()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn update_unit(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: UnitId,
    parent_id: Option<UnitId>,
    name: &str,
    leader: Option<UserId>,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE units SET parent_id = $3, name = $4, leader_user_id = $5, updated_at = $6 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id.to_string())
    .bind(id.to_string())
    .bind(parent_id.map(|p| p.to_string()))
    .bind(name)
    .bind(leader.map(|l| l.to_string()))
    .bind(now)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete_unit(conn: &mut AnyConnection, org_id: OrgId, id: UnitId) -> Result<()> {
    let done = sqlx::query("DELETE FROM units WHERE org_id = $1 AND id = $2")
        .bind(org_id.to_string())
        .bind(id.to_string())
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Memberships (any status) that point at a unit.
pub async fn count_unit_memberships(
    conn: &mut AnyConnection,
    org_id: OrgId,
    unit_id: UnitId,
) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND unit_id = $2")
            .bind(org_id.to_string())
            .bind(unit_id.to_string())
            .fetch_one(conn)
            .await?,
    )
}

/// Detaches invites from a unit about to be deleted.
pub async fn clear_invites_unit(
    conn: &mut AnyConnection,
    org_id: OrgId,
    unit_id: UnitId,
) -> Result<()> {
    sqlx::query("UPDATE invites SET unit_id = NULL WHERE org_id = $1 AND unit_id = $2")
        .bind(org_id.to_string())
        .bind(unit_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Units led by a user in one organisation.
pub async fn units_led_by(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user_id: UserId,
) -> Result<Vec<UnitId>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND leader_user_id = $2")
            .bind(org_id.to_string())
            .bind(user_id.to_string())
            .fetch_all(conn)
            .await?;
    ids.iter()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("id")))
        .collect()
}

// --- invites ----------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    pub id: InviteId,
    pub org_id: OrgId,
    pub email: Option<String>,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

fn invite_from(row: &AnyRow) -> Result<Invite> {
    Ok(Invite {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        email: row.opt_text("email")?,
        role: Role::parse(&row.text("role")?).ok_or(StoreError::Corrupt("role"))?,
        unit_id: row.opt_parse("unit_id")?,
        created_by: row.opt_parse("created_by")?,
        created_at: row.int("created_at")?,
        expires_at: row.int("expires_at")?,
        used_at: row.opt_int("used_at")?,
        revoked_at: row.opt_int("revoked_at")?,
    })
}

#[derive(Clone, Debug)]
pub struct NewInvite<'a> {
    pub org_id: OrgId,
    pub token_hash: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub created_by: Option<UserId>,
    pub expires_at: i64,
}

pub async fn insert_invite(
    conn: &mut AnyConnection,
    new: &NewInvite<'_>,
    now: i64,
) -> Result<Invite> {
    let id = InviteId(new_id());
    sqlx::query(
        "INSERT INTO invites (id, org_id, token_hash, email, role, unit_id, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(new.org_id.to_string())
    .bind(new.token_hash)
    .bind(new.email)
    .bind(new.role.as_str())
    .bind(new.unit_id.map(|u| u.to_string()))
    .bind(new.created_by.map(|u| u.to_string()))
    .bind(now)
    .bind(new.expires_at)
    .execute(&mut *conn)
    .await?;
    invite(conn, new.org_id, id).await
}

pub async fn invite(conn: &mut AnyConnection, org_id: OrgId, id: InviteId) -> Result<Invite> {
    let row = sqlx::query("SELECT * FROM invites WHERE org_id = $1 AND id = $2")
        .bind(org_id.to_string())
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    invite_from(&row)
}

pub async fn invite_by_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Invite> {
    let row = sqlx::query("SELECT * FROM invites WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    invite_from(&row)
}

/// Marks an invite used, once: `Conflict` if another request used it first. Call it first in
/// the accepting transaction (a racing accept then waits on the row and finds it used), and
/// [`set_invite_user`] once the account exists.
pub async fn use_invite(conn: &mut AnyConnection, id: InviteId, now: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE invites SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("invite already used".into()));
    }
    Ok(())
}

/// Records who accepted an invite taken with [`use_invite`].
pub async fn set_invite_user(
    conn: &mut AnyConnection,
    id: InviteId,
    user_id: UserId,
) -> Result<()> {
    sqlx::query("UPDATE invites SET used_by = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn revoke_invite(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: InviteId,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE invites SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(org_id.to_string())
    .bind(id.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Invalidates every open invite addressed to a user (when they are deactivated).
pub async fn revoke_invites_for_email(
    conn: &mut AnyConnection,
    org_id: OrgId,
    email: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE invites SET revoked_at = $3 WHERE org_id = $1 AND email = $2 AND used_at IS NULL AND revoked_at IS NULL")
        .bind(org_id.to_string())
        .bind(email)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Open and past invites of an organisation, newest first.
    pub async fn invites(&self, org_id: OrgId, limit: i64) -> Result<Vec<Invite>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM invites WHERE org_id = $1 ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .bind(org_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(invite_from).collect()
    }
}

// --- imports ----------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Import {
    pub id: ImportId,
    pub org_id: OrgId,
    pub created_by: UserId,
    pub status: String,
    pub rows_json: String,
    pub valid_count: i64,
    pub error_count: i64,
    pub created_at: i64,
}

pub async fn insert_import(
    conn: &mut AnyConnection,
    org_id: OrgId,
    created_by: UserId,
    rows_json: &str,
    valid_count: i64,
    error_count: i64,
    now: i64,
) -> Result<ImportId> {
    let id = ImportId(new_id());
    sqlx::query(
        "INSERT INTO imports (id, org_id, created_by, status, rows_json, valid_count, error_count, created_at)
         VALUES ($1, $2, $3, 'preview', $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(created_by.to_string())
    .bind(rows_json)
    .bind(valid_count)
    .bind(error_count)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn import(conn: &mut AnyConnection, org_id: OrgId, id: ImportId) -> Result<Import> {
    let row = sqlx::query("SELECT * FROM imports WHERE org_id = $1 AND id = $2")
        .bind(org_id.to_string())
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Import {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        created_by: row.parse("created_by")?,
        status: row.text("status")?,
        rows_json: row.text("rows_json")?,
        valid_count: row.int("valid_count")?,
        error_count: row.int("error_count")?,
        created_at: row.int("created_at")?,
    })
}

/// Marks a preview confirmed, once: `Conflict` if it already was.
pub async fn confirm_import(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ImportId,
    rows_json: &str,
    now: i64,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE imports SET status = 'confirmed', confirmed_at = $3, rows_json = $4 WHERE org_id = $1 AND id = $2 AND status = 'preview'",
    )
    .bind(org_id.to_string())
    .bind(id.to_string())
    .bind(now)
    .bind(rows_json)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("import already confirmed".into()));
    }
    Ok(())
}

impl Store {
    pub async fn import(&self, org_id: OrgId, id: ImportId) -> Result<Import> {
        import(&mut *self.reader().acquire().await?, org_id, id).await
    }
}
