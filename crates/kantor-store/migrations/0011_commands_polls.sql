-- Slash commands: polls, reminders, bots' own commands, and where bots and outgoing webhooks
-- are answered over HTTP.

-- A poll message's question, options, counts and state, as JSON written whole (see
-- kantor_store::commands::Poll); NULL for every other message. Counts are recomputed from
-- the votes under the message row's lock at each vote.
ALTER TABLE messages ADD COLUMN poll TEXT;

CREATE TABLE chat_poll_votes (
    message_id TEXT NOT NULL REFERENCES messages(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    option_index BIGINT NOT NULL,
    voted_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id, option_index)
);
CREATE INDEX chat_poll_votes_by_user ON chat_poll_votes (user_id);

-- `/remind`: a reminder for its author, another person, or a conversation, delivered at
-- due_at by a job as a message from the organisation's Kantor bot.
CREATE TABLE chat_reminders (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    created_by TEXT NOT NULL REFERENCES users(id),
    -- One of: a person (the author or someone else) or a conversation.
    target_user_id TEXT REFERENCES users(id),
    conversation_id TEXT REFERENCES conversations(id),
    text TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    -- pending | sent | cancelled | failed
    status TEXT NOT NULL,
    -- The client's idempotency key: one reminder per (author, key).
    client_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX chat_reminders_by_author ON chat_reminders (created_by, status, due_at);
CREATE UNIQUE INDEX chat_reminders_client_key ON chat_reminders (created_by, client_key);

-- The organisation's own bot ("Kantor"), which delivers reminders; made on first use.
ALTER TABLE orgs ADD COLUMN system_bot_id TEXT REFERENCES users(id);

-- Commands a bot registered (`/deploy`, `/cuti`); unique per organisation.
CREATE TABLE bot_commands (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    bot_user_id TEXT NOT NULL REFERENCES users(id),
    description TEXT NOT NULL DEFAULT '',
    usage TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, name)
);
CREATE INDEX bot_commands_by_bot ON bot_commands (bot_user_id);

-- A bot's interaction URL: clicks and commands are also POSTed there, signed like outgoing
-- webhooks, and a `{"text": …}` answer is posted by the bot.
CREATE TABLE bot_endpoints (
    bot_user_id TEXT PRIMARY KEY REFERENCES users(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    url TEXT NOT NULL,
    signing_secret TEXT NOT NULL,
    last_status TEXT,
    last_error TEXT,
    last_attempt_at BIGINT,
    failures BIGINT NOT NULL DEFAULT 0
);

-- The bot user an outgoing webhook's answers are posted as (NULL for webhooks made before).
ALTER TABLE outgoing_webhooks ADD COLUMN bot_user_id TEXT REFERENCES users(id);
