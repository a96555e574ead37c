-- Chat retention: an organisation's policy (keep forever, or delete messages older than
-- `keep_days`), legal holds that keep a conversation whole whatever the policy, and admins'
-- exports of chat history.

CREATE TABLE chat_retention (
    org_id TEXT PRIMARY KEY REFERENCES orgs(id),
    -- NULL: keep forever.
    keep_days BIGINT,
    updated_by TEXT REFERENCES users(id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE chat_legal_holds (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    reason TEXT NOT NULL DEFAULT '',
    set_by TEXT REFERENCES users(id),
    set_at BIGINT NOT NULL
);
CREATE INDEX chat_legal_holds_by_org ON chat_legal_holds (org_id);

-- The purge reads one conversation's messages older than the cutoff.
CREATE INDEX messages_by_conversation_date ON messages (conversation_id, created_at);

CREATE TABLE chat_exports (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- NULL: the whole organisation.
    conversation_id TEXT REFERENCES conversations(id),
    requested_by TEXT NOT NULL REFERENCES users(id),
    -- pending | done | failed
    state TEXT NOT NULL,
    -- The ZIP in the blob store, once done.
    file_id TEXT REFERENCES files(id),
    size_bytes BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX chat_exports_by_org ON chat_exports (org_id, id);
