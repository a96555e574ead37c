-- Meeting chat: each meeting made after this migration has a chat conversation of kind
-- 'meeting' (its topic is the meeting's title). Members of the organisation join it when they
-- are admitted to the meeting and leave it when removed; guests' lines stay in the room.
-- Meetings from before have none and keep room-only chat.

ALTER TABLE meetings ADD COLUMN conversation_id TEXT REFERENCES conversations(id);
