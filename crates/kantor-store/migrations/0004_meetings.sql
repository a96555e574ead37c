-- Meetings (part 1): meetings with a people-facing number and passcode, their participants
-- (members and guests, with the hash of the token that opens the room) and wrong-passcode
-- attempts, counted here so every node enforces one limit. See docs/meet-protocol.md.

CREATE TABLE meetings (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- 10 or 11 digits, the first not 0; unique across organisations (join is by number alone).
    number TEXT NOT NULL,
    -- Shown to hosts and cohosts and put in join links, so kept as typed (4-10 letters/digits).
    passcode TEXT NOT NULL,
    title TEXT NOT NULL,
    host_id TEXT NOT NULL REFERENCES users(id),
    -- live | ended
    status TEXT NOT NULL,
    locked BIGINT NOT NULL DEFAULT 0,
    -- off | guests | everyone
    waiting_room TEXT NOT NULL DEFAULT 'guests',
    allow_guests BIGINT NOT NULL DEFAULT 1,
    -- A participant id, or null.
    spotlight TEXT,
    created_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE UNIQUE INDEX meetings_number ON meetings (number);
CREATE INDEX meetings_by_org ON meetings (org_id, status, created_at);
CREATE INDEX meetings_by_host ON meetings (host_id, org_id);

CREATE TABLE meeting_participants (
    id TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- Members only; null for guests (also for signed-in people of other organisations).
    user_id TEXT REFERENCES users(id),
    -- Guests only: SHA-256 of the browser's device key, so a guest rejoins as the same row.
    device_key_hash TEXT,
    name TEXT NOT NULL,
    -- host | cohost | participant
    role TEXT NOT NULL,
    -- waiting | admitted | denied | removed | left
    state TEXT NOT NULL,
    guest BIGINT NOT NULL,
    -- SHA-256 of the participant token (replaced on every join); null until the first join.
    token_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX meeting_participants_token ON meeting_participants (token_hash);
CREATE UNIQUE INDEX meeting_participants_user ON meeting_participants (meeting_id, user_id)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX meeting_participants_device ON meeting_participants (meeting_id, device_key_hash)
    WHERE device_key_hash IS NOT NULL;
CREATE INDEX meeting_participants_by_user ON meeting_participants (user_id, state);

-- One row per wrong passcode; rows older than the window are pruned hourly.
CREATE TABLE meeting_passcode_failures (
    id {{autoincrement}},
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX meeting_passcode_failures_by_meeting ON meeting_passcode_failures (meeting_id, ip, at);
CREATE INDEX meeting_passcode_failures_by_ip ON meeting_passcode_failures (ip, at);
