-- Large groups ("super groups"): posting rules per conversation, membership that follows the
-- organisation, and what read status per announcement needs.
--
-- org_wide: every active member of the organisation who is not a guest is a member; people
--   who join the organisation join it, deactivated people leave it.
-- announcement: only the conversation's owners and posters (role 'poster') and organisation
--   admins start messages; everyone may react and reply in threads.
-- slow_mode_secs: other members wait this long between messages (0: off).
-- mention_limit: most people one message may mention (0: no limit).
ALTER TABLE conversations ADD COLUMN org_wide BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN announcement BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN slow_mode_secs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN mention_limit BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_org_wide ON conversations (org_id, org_wide);

-- The conversation's last seq when a member joined: read status of message N counts the
-- members with joined_seq < N (those who were there when it was posted).
ALTER TABLE conversation_members ADD COLUMN joined_seq BIGINT NOT NULL DEFAULT 0;

-- Read status of one message: members whose read position reached its seq.
CREATE INDEX conversation_members_read ON conversation_members (conversation_id, last_read_seq);
-- Slow mode: a member's newest message in a conversation.
CREATE INDEX messages_by_author ON messages (conversation_id, author_id, seq);

-- "Remind the unread" (the DingTalk Ding), at most once per message per 10 minutes.
CREATE TABLE message_reminders (
    message_id TEXT PRIMARY KEY REFERENCES messages(id),
    last_at BIGINT NOT NULL,
    last_by TEXT NOT NULL REFERENCES users(id),
    times BIGINT NOT NULL DEFAULT 1
);
