-- Integrations: incoming webhooks (a secret URL that posts into one channel), outgoing webhooks
-- (messages matching a channel and/or a trigger word are POSTed, signed, to a URL) and the
-- per-organisation allow-list of hosts that outgoing webhooks may reach although they resolve
-- to private or loopback addresses.
--
-- A bot is a user row with is_bot = 1 and no password: it is an ordinary member of its
-- organisation (role member), so the whole chat write path (events, unread counts, posting
-- rules, search) applies to what it posts, and it can never sign in.
ALTER TABLE users ADD COLUMN is_bot BIGINT NOT NULL DEFAULT 0;

CREATE TABLE incoming_webhooks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    -- The bot user the webhook posts as (named after the webhook).
    bot_user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    -- SHA-256 of the secret in the URL; the secret itself is shown once.
    secret_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX incoming_webhooks_by_org ON incoming_webhooks (org_id, created_at);

CREATE TABLE outgoing_webhooks (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    -- NULL: every channel of the organisation (then a trigger word is required).
    conversation_id TEXT REFERENCES conversations(id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- JSON array of words; empty: every message of the channel.
    trigger_words TEXT NOT NULL,
    -- The HMAC key. Kept (not hashed) because the server signs with it; shown once.
    signing_secret TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    -- Delivery status: 'ok' or 'failed', the last error, and consecutive failures.
    last_status TEXT,
    last_error TEXT,
    last_attempt_at BIGINT,
    failures BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outgoing_webhooks_by_org ON outgoing_webhooks (org_id, conversation_id);

CREATE TABLE webhook_allowed_hosts (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    host TEXT NOT NULL,
    PRIMARY KEY (org_id, host)
);

-- A bot's message may carry interactive content (buttons, a simple form) as JSON; NULL for
-- every other message. Clicks come back through .../messages/{id}/actions.
ALTER TABLE messages ADD COLUMN interactive TEXT;
