//! Meeting attendance: one `meeting_attendance` row per stay in the room, opened when an
//! admitted participant's socket arrives and their media opens, closed when they leave (or are
//! removed, or the meeting ends). The room actor writes through [`Store::open_stay`] and
//! [`Store::close_stay`]; the report reads [`stays`], [`people`] and [`invitees`] and does the
//! accounting in `kantor_core::attendance`.
//!
//! A participant has at most one open stay: opening one while another is open continues it (a
//! room that reopened after a crash picks up where it was), and closing never moves `left_at`
//! before `joined_at`.

use kantor_core::ids::{MeetingId, OrgId, ParticipantId, UnitId, UserId};
use sqlx::AnyConnection;

use crate::row::RowExt;
use crate::{new_id, Result, Store, StoreError};

/// One recorded stay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StayRow {
    pub participant_id: ParticipantId,
    pub joined_at: i64,
    pub left_at: Option<i64>,
}

/// A member of the organisation as the report shows them (any status: someone deactivated
/// since still attended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub user_id: UserId,
    pub name: String,
    pub unit_id: Option<UnitId>,
    pub employee_number: Option<String>,
    pub position: Option<String>,
    pub active: bool,
}

/// A meeting's invitees as stored: people and units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invited {
    pub users: Vec<UserId>,
    pub units: Vec<UnitId>,
}

/// One invitee row to add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invitee {
    User(UserId),
    Unit(UnitId),
}

impl Store {
    /// Opens a stay for a participant who entered the room at `at`, unless one is open
    /// already (then that stay continues); whether a row was written.
    pub async fn open_stay(
        &self,
        meeting_id: MeetingId,
        participant_id: ParticipantId,
        at: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let open: Option<String> = sqlx::query_scalar(
            "SELECT id FROM meeting_attendance WHERE participant_id = $1 AND left_at IS NULL",
        )
        .bind(participant_id.to_string())
        .fetch_optional(tx.conn())
        .await?;
        if open.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO meeting_attendance (id, meeting_id, participant_id, joined_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id().to_string())
        .bind(meeting_id.to_string())
        .bind(participant_id.to_string())
        .bind(at)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Closes a participant's open stay at `at` (never before it began); whether one was open.
    pub async fn close_stay(&self, participant_id: ParticipantId, at: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE meeting_attendance
             SET left_at = CASE WHEN joined_at > $2 THEN joined_at ELSE $2 END
             WHERE participant_id = $1 AND left_at IS NULL",
        )
        .bind(participant_id.to_string())
        .bind(at)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Closes every stay of a meeting still open and begun before `at`, at `at`; how many. For
    /// a room that ended without recording who left (its task panicked): whoever comes back
    /// starts a new stay, which a late call cannot close (it begins at or after `at`).
    pub async fn close_open_stays(&self, meeting_id: MeetingId, at: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE meeting_attendance
             SET left_at = $2
             WHERE meeting_id = $1 AND left_at IS NULL AND joined_at < $2",
        )
        .bind(meeting_id.to_string())
        .bind(at)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// Every stay of a meeting, in the order they began.
pub async fn stays(conn: &mut AnyConnection, meeting_id: MeetingId) -> Result<Vec<StayRow>> {
    let rows = sqlx::query(
        "SELECT participant_id, joined_at, left_at FROM meeting_attendance
         WHERE meeting_id = $1 ORDER BY joined_at, id",
    )
    .bind(meeting_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StayRow {
                participant_id: r.parse("participant_id")?,
                joined_at: r.int("joined_at")?,
                left_at: r.opt_int("left_at")?,
            })
        })
        .collect()
}

/// The organisation's members (every status, bots left out) with unit, employee number and
/// position.
pub async fn people(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<Person>> {
    let rows = sqlx::query(
        "SELECT m.user_id, u.name, m.unit_id, m.employee_number, m.position, m.status
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1 AND u.is_bot = 0",
    )
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Person {
                user_id: r.parse("user_id")?,
                name: r.text("name")?,
                unit_id: r.opt_parse("unit_id")?,
                employee_number: r.opt_text("employee_number")?,
                position: r.opt_text("position")?,
                active: r.text("status")? == "active",
            })
        })
        .collect()
}

/// A meeting's invitees (people and units), as stored.
pub async fn invitees(conn: &mut AnyConnection, meeting_id: MeetingId) -> Result<Invited> {
    let rows = sqlx::query("SELECT user_id, unit_id FROM meeting_invitees WHERE meeting_id = $1")
        .bind(meeting_id.to_string())
        .fetch_all(conn)
        .await?;
    let mut out = Invited::default();
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

/// Adds one invitee to a meeting (nothing if already invited). The scheduling API replaces a
/// meeting's invitees as a whole; this adds one, for tests and tools.
pub async fn add_invitee(
    conn: &mut AnyConnection,
    org_id: OrgId,
    meeting_id: MeetingId,
    invitee: Invitee,
    now: i64,
) -> Result<()> {
    let (user, unit) = match invitee {
        Invitee::User(u) => (Some(u.to_string()), None),
        Invitee::Unit(u) => (None, Some(u.to_string())),
    };
    let exists: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_invitees WHERE meeting_id = $1
           AND (user_id = $2 OR unit_id = $3)",
    )
    .bind(meeting_id.to_string())
    .bind(user.clone())
    .bind(unit.clone())
    .fetch_one(&mut *conn)
    .await?;
    if exists > 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO meeting_invitees (meeting_id, org_id, user_id, unit_id, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(meeting_id.to_string())
    .bind(org_id.to_string())
    .bind(user)
    .bind(unit)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}
