-- Chat: conversations (channels, DMs, group DMs), members with read positions, messages
-- numbered per conversation, edits, reactions, uploaded attachments, scheduled messages and
-- each person's status and do-not-disturb hours.

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- public | private | dm | group
    kind TEXT NOT NULL,
    -- Channels only; unique per organisation.
    name TEXT,
    topic TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    -- DMs only: the two user ids, sorted and joined by ':', so a pair has one DM.
    dm_key TEXT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    archived_at BIGINT,
    -- The newest message's seq; the next message takes last_seq + 1 under this row's lock.
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_message_at BIGINT,
    member_count BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX conversations_name ON conversations (org_id, name);
CREATE UNIQUE INDEX conversations_dm ON conversations (org_id, dm_key);
CREATE INDEX conversations_by_kind ON conversations (org_id, kind);

CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- owner | member
    role TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    muted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_by_user ON conversation_members (user_id, org_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq BIGINT NOT NULL,
    author_id TEXT NOT NULL REFERENCES users(id),
    -- The client's idempotency key: one message per (author, key).
    client_key TEXT NOT NULL,
    body TEXT NOT NULL,
    -- JSON arrays/objects, written and read whole.
    mentions TEXT NOT NULL DEFAULT '[]',
    attachments TEXT NOT NULL DEFAULT '[]',
    quote TEXT,
    forwarded TEXT,
    mention_here BIGINT NOT NULL DEFAULT 0,
    mention_channel BIGINT NOT NULL DEFAULT 0,
    thread_root_id TEXT REFERENCES messages(id),
    -- 1 for top-level messages and thread replies also sent to the channel.
    in_channel BIGINT NOT NULL,
    reply_count BIGINT NOT NULL DEFAULT 0,
    last_reply_at BIGINT,
    pinned_at BIGINT,
    pinned_by TEXT,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX messages_by_seq ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_client_key ON messages (author_id, client_key);
CREATE INDEX messages_channel_view ON messages (conversation_id, in_channel, seq);
CREATE INDEX messages_thread ON messages (thread_root_id, seq);

CREATE TABLE message_edits (
    id {{autoincrement}},
    message_id TEXT NOT NULL REFERENCES messages(id),
    body TEXT NOT NULL,
    -- When this version stopped being current.
    replaced_at BIGINT NOT NULL
);
CREATE INDEX message_edits_by_message ON message_edits (message_id);

CREATE TABLE reactions (
    message_id TEXT NOT NULL REFERENCES messages(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    emoji TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

-- Files uploaded for chat: what the composer shows before the message is sent.
CREATE TABLE chat_files (
    file_id TEXT PRIMARY KEY REFERENCES files(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    owner_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    -- image | audio | file
    kind TEXT NOT NULL,
    width BIGINT,
    height BIGINT,
    thumbnail_file_id TEXT REFERENCES files(id),
    -- Set when first sent: then only those who may read that conversation may read the file.
    conversation_id TEXT REFERENCES conversations(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_files_by_thumbnail ON chat_files (thumbnail_file_id);

CREATE TABLE scheduled_messages (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    thread_root_id TEXT,
    send_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- pending | sending | sent | cancelled | failed
    status TEXT NOT NULL
);
CREATE INDEX scheduled_by_author ON scheduled_messages (author_id, status);

CREATE TABLE user_status (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    status_text TEXT NOT NULL DEFAULT '',
    status_emoji TEXT NOT NULL DEFAULT '',
    status_expires_at BIGINT,
    -- Do-not-disturb hours, minutes after local midnight in the user's zone.
    dnd_start BIGINT,
    dnd_end BIGINT,
    updated_at BIGINT NOT NULL
);
