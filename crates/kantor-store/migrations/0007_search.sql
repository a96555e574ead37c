-- Chat search: one row per distinct index term of a message (its body's words and its files'
-- names, each under its surface form and its Indonesian and English stems; see
-- kantor_core::search::analyse), written in the same transaction as the message, replaced on
-- edit, removed on delete. Two reserved terms that no word can produce mark messages with a
-- file (':file') and with a link (':link').
--
-- Every lookup is within one organisation, so org_id leads the key: a term's rows in one
-- organisation are one range. conversation_id and created_at are copies of the message's, so
-- the index can be read per conversation and newest first without the messages table.
CREATE TABLE message_terms (
    org_id TEXT NOT NULL REFERENCES orgs(id),
    term TEXT NOT NULL,
    message_id TEXT NOT NULL REFERENCES messages(id),
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, term, message_id)
);
-- Edits and deletes replace or remove one message's rows.
CREATE INDEX message_terms_by_message ON message_terms (message_id);
-- Searches newest first, and searches by filters alone (no words), read messages by date.
CREATE INDEX messages_by_date ON messages (org_id, created_at);
