-- Meetings, part 2: scheduled meetings (a series with recurrence and exceptions, invitees by
-- person or unit, calendar feeds), the organisation's public holidays (weekday series skip
-- them), personal meeting rooms, and the attendance record.

-- instant | scheduled | personal
ALTER TABLE meetings ADD COLUMN kind TEXT NOT NULL DEFAULT 'instant';
ALTER TABLE meetings ADD COLUMN agenda TEXT NOT NULL DEFAULT '';
-- Scheduled meetings: the series as JSON (see kantor_core::schedule: the start as civil time
-- in the organiser's zone, the duration, the recurrence and its exceptions); NULL otherwise.
ALTER TABLE meetings ADD COLUMN schedule TEXT;
-- The first occurrence's start and the last one's end (NULL: the series does not end), UTC,
-- so lists and calendars find the meetings of a window without expanding every series.
ALTER TABLE meetings ADD COLUMN first_start_at BIGINT;
ALTER TABLE meetings ADD COLUMN last_end_at BIGINT;
-- iCalendar SEQUENCE: bumped by every change invitees are told about.
ALTER TABLE meetings ADD COLUMN ics_sequence BIGINT NOT NULL DEFAULT 0;
-- A cancelled series (its invitations say STATUS:CANCELLED).
ALTER TABLE meetings ADD COLUMN cancelled_at BIGINT;
-- One personal room per person per organisation.
CREATE UNIQUE INDEX meetings_personal ON meetings (org_id, host_id) WHERE kind = 'personal';
CREATE INDEX meetings_by_kind ON meetings (org_id, kind, first_start_at);

-- Invitees: a person, or a unit (its members and its sub-units' members, read when needed).
CREATE TABLE meeting_invitees (
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    user_id TEXT REFERENCES users(id),
    unit_id TEXT REFERENCES units(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX meeting_invitees_user ON meeting_invitees (meeting_id, user_id)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX meeting_invitees_unit ON meeting_invitees (meeting_id, unit_id)
    WHERE unit_id IS NOT NULL;
CREATE INDEX meeting_invitees_by_user ON meeting_invitees (user_id, meeting_id);
CREATE INDEX meeting_invitees_by_unit ON meeting_invitees (unit_id, meeting_id);

-- A person's calendar feed URL: only the SHA-256 of its secret is kept; one per person and
-- organisation (making a new one replaces it).
CREATE TABLE calendar_feeds (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendar_feeds_user ON calendar_feeds (user_id, org_id);

-- The organisation's public holidays and collective leave (cuti bersama), editable by admins.
CREATE TABLE org_holidays (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- YYYY-MM-DD
    day TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (org_id, day)
);

-- Attendance: one row per stay in the room, from entering (media opened) to leaving. A socket
-- that comes back within the reconnect grace period continues the same stay.
CREATE TABLE meeting_attendance (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    participant_id TEXT NOT NULL REFERENCES meeting_participants(id),
    joined_at BIGINT NOT NULL,
    left_at BIGINT
);
CREATE INDEX meeting_attendance_by_meeting ON meeting_attendance (meeting_id, joined_at);
CREATE INDEX meeting_attendance_open ON meeting_attendance (participant_id, left_at);
