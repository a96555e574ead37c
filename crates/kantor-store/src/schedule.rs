//! Scheduled meetings' rows beyond the meeting itself: the organisation's public holidays
//! (weekday series skip them), invitees (people and units), calendar feed tokens, and the
//! queries that find a person's meetings in a window.
//!
//! A series is stored on its meeting (`meetings.schedule`, JSON of
//! `kantor_core::schedule`); `first_start_at`/`last_end_at` bound it so a window's meetings are
//! found with one indexed read, then expanded in memory.

use kantor_core::ids::{MeetingId, OrgId, UnitId, UserId};
use sqlx::AnyConnection;

use crate::meet::Meeting;
use crate::row::RowExt;
use crate::{Result, StoreError};

/// A public holiday or collective leave day of an organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub name: String,
}

/// The organisation's holidays from `from` to `to` (inclusive, `YYYY-MM-DD`), by day.
pub async fn holidays(
    conn: &mut AnyConnection,
    org_id: OrgId,
    from: &str,
    to: &str,
) -> Result<Vec<Holiday>> {
    let rows = sqlx::query(
        "SELECT day, name FROM org_holidays WHERE org_id = $1 AND day >= $2 AND day <= $3
         ORDER BY day",
    )
    .bind(org_id.to_string())
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Holiday {
                day: r.text("day")?,
                name: r.text("name")?,
            })
        })
        .collect()
}

/// Adds or renames a holiday.
pub async fn put_holiday(
    conn: &mut AnyConnection,
    org_id: OrgId,
    day: &str,
    name: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_holidays (org_id, day, name) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, day) DO UPDATE SET name = excluded.name",
    )
    .bind(org_id.to_string())
    .bind(day)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a holiday; whether there was one.
pub async fn delete_holiday(conn: &mut AnyConnection, org_id: OrgId, day: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM org_holidays WHERE org_id = $1 AND day = $2")
        .bind(org_id.to_string())
        .bind(day)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Who is invited: people and units (a unit means its members and its sub-units' members).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invitees {
    pub users: Vec<UserId>,
    pub units: Vec<UnitId>,
}

/// Replaces a meeting's invitees.
pub async fn set_invitees(
    conn: &mut AnyConnection,
    org_id: OrgId,
    meeting_id: MeetingId,
    invitees: &Invitees,
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM meeting_invitees WHERE meeting_id = $1")
        .bind(meeting_id.to_string())
        .execute(&mut *conn)
        .await?;
    for u in &invitees.users {
        sqlx::query(
            "INSERT INTO meeting_invitees (meeting_id, org_id, user_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(meeting_id.to_string())
        .bind(org_id.to_string())
        .bind(u.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    for u in &invitees.units {
        sqlx::query(
            "INSERT INTO meeting_invitees (meeting_id, org_id, unit_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(meeting_id.to_string())
        .bind(org_id.to_string())
        .bind(u.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A meeting's invitees as stored.
pub async fn invitees(conn: &mut AnyConnection, meeting_id: MeetingId) -> Result<Invitees> {
    let rows = sqlx::query(
        "SELECT user_id, unit_id FROM meeting_invitees WHERE meeting_id = $1 ORDER BY created_at",
    )
    .bind(meeting_id.to_string())
    .fetch_all(conn)
    .await?;
    let mut out = Invitees::default();
    for r in rows {
        if let Some(u) = r.opt_parse("user_id")? {
            out.users.push(u);
        }
        if let Some(u) = r.opt_parse("unit_id")? {
            out.units.push(u);
        }
    }
    Ok(out)
}

/// Every active member a meeting invites: the people named and the active members of the
/// units named and of their sub-units (once each), by name.
pub async fn invited_people(
    conn: &mut AnyConnection,
    org_id: OrgId,
    meeting_id: MeetingId,
) -> Result<Vec<(UserId, String)>> {
    let invited = invitees(&mut *conn, meeting_id).await?;
    let mut units: Vec<UnitId> = invited.units.clone();
    // Sub-units, breadth first (unit trees are small; a cycle cannot form, but the loop is
    // bounded by the organisation's unit count anyway).
    let all: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, parent_id FROM units WHERE org_id = $1")
            .bind(org_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    let mut i = 0;
    while i < units.len() && units.len() <= all.len() {
        let parent = units[i].to_string();
        for (id, p) in &all {
            if p.as_deref() == Some(parent.as_str()) {
                let id: UnitId = id.parse().map_err(|_| StoreError::Corrupt("units.id"))?;
                if !units.contains(&id) {
                    units.push(id);
                }
            }
        }
        i += 1;
    }
    let mut out: Vec<(UserId, String)> = Vec::new();
    let people = sqlx::query(
        "SELECT u.id, u.name, m.unit_id FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1 AND m.status = 'active' AND u.is_bot = 0",
    )
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    for r in people {
        let id: UserId = r.parse("id")?;
        let unit: Option<UnitId> = r.opt_parse("unit_id")?;
        let named = invited.users.contains(&id);
        let by_unit = unit.is_some_and(|u| units.contains(&u));
        if (named || by_unit) && !out.iter().any(|(x, _)| *x == id) {
            out.push((id, r.text("name")?));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// Scheduled meetings of the organisation that `user` hosts or is invited to (by name or by a
/// unit they are in, directly — sub-unit membership is resolved by the caller's expansion) and
/// that may have an occurrence overlapping `[from, to)`.
pub async fn scheduled_for(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user: UserId,
    unit_chain: &[UnitId],
    from: i64,
    to: i64,
) -> Result<Vec<Meeting>> {
    let units: Vec<String> = unit_chain.iter().map(UnitId::to_string).collect();
    let unit_list = if units.is_empty() {
        "NULL".to_string()
    } else {
        (0..units.len())
            .map(|i| format!("${}", i + 5))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = format!(
        "{} WHERE m.org_id = $1 AND m.kind = 'scheduled' AND m.cancelled_at IS NULL
           AND m.first_start_at < $4 AND (m.last_end_at IS NULL OR m.last_end_at > $3)
           AND (m.host_id = $2 OR EXISTS (SELECT 1 FROM meeting_invitees i WHERE i.meeting_id = m.id
                AND (i.user_id = $2 OR i.unit_id IN ({unit_list}))))
         ORDER BY m.first_start_at, m.id LIMIT 1000",
        crate::meet::MEETING_SELECT
    );
    let mut q = sqlx::query(&sql)
        .bind(org_id.to_string())
        .bind(user.to_string())
        .bind(from)
        .bind(to);
    for u in &units {
        q = q.bind(u);
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(crate::meet::meeting_from).collect()
}

/// The units a person belongs to for invitations: their unit and every unit above it.
pub async fn unit_chain(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user: UserId,
) -> Result<Vec<UnitId>> {
    let mine: Option<Option<String>> =
        sqlx::query_scalar("SELECT unit_id FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(Some(start)) = mine else {
        return Ok(Vec::new());
    };
    let all: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT id, parent_id FROM units WHERE org_id = $1")
            .bind(org_id.to_string())
            .fetch_all(conn)
            .await?;
    let mut out = Vec::new();
    let mut next = Some(start);
    while let Some(id) = next.take() {
        if out.len() > all.len() {
            break;
        }
        let parsed: UnitId = id.parse().map_err(|_| StoreError::Corrupt("unit_id"))?;
        if out.contains(&parsed) {
            break;
        }
        out.push(parsed);
        next = all
            .iter()
            .find(|(u, _)| *u == id)
            .and_then(|(_, p)| p.clone());
    }
    Ok(out)
}

/// Whether `user` is invited to the meeting, by name or through one of `unit_chain`.
pub async fn is_invited(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    user: UserId,
    unit_chain: &[UnitId],
) -> Result<bool> {
    let invited = invitees(conn, meeting_id).await?;
    Ok(invited.users.contains(&user) || invited.units.iter().any(|u| unit_chain.contains(u)))
}

/// Sets the series fields of a scheduled meeting (and bumps its iCalendar sequence).
#[allow(clippy::too_many_arguments)]
pub async fn update_series(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    title: &str,
    agenda: &str,
    schedule: &str,
    first_start_at: i64,
    last_end_at: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE meetings SET title = $2, agenda = $3, schedule = $4, first_start_at = $5,
           last_end_at = $6, ics_sequence = ics_sequence + 1
         WHERE id = $1",
    )
    .bind(meeting_id.to_string())
    .bind(title)
    .bind(agenda)
    .bind(schedule)
    .bind(first_start_at)
    .bind(last_end_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels a scheduled series (its invitations become STATUS:CANCELLED).
pub async fn cancel_series(
    conn: &mut AnyConnection,
    meeting_id: MeetingId,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE meetings SET cancelled_at = $2, ics_sequence = ics_sequence + 1 WHERE id = $1",
    )
    .bind(meeting_id.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes (or replaces) a person's calendar feed token; only its hash is kept.
pub async fn set_feed(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user: UserId,
    token_hash: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1 AND org_id = $2")
        .bind(user.to_string())
        .bind(org_id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO calendar_feeds (token_hash, user_id, org_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(user.to_string())
    .bind(org_id.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whose feed a token opens.
pub async fn feed_owner(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(OrgId, UserId)>> {
    let row = sqlx::query("SELECT org_id, user_id FROM calendar_feeds WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.parse("org_id")?, r.parse("user_id")?)))
        .transpose()
}
