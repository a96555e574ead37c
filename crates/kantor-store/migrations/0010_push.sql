-- Web Push: the browsers (installed PWAs) a person receives notifications on, and each
-- member's notification preference per conversation.

CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    -- The push service URL: a bearer capability for this browser, never logged.
    endpoint TEXT NOT NULL UNIQUE,
    -- The browser's P-256 public key and auth secret, base64url (RFC 8291).
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    last_ok_at BIGINT,
    -- Failed deliveries since the last success.
    failures BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id);

-- default | all | mentions | none; `default` is all in DMs, groups and meeting chats and
-- mentions in channels; `muted` = 1 still means none.
ALTER TABLE conversation_members ADD COLUMN notify TEXT NOT NULL DEFAULT 'default';
