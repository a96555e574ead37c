-- Login attempts, counted in the database so that every node enforces one limit.
-- `key` is `e:<email>` or `i:<client ip>`; rows older than the window are deleted as they
-- are passed over.
CREATE TABLE login_attempts (
    id {{autoincrement}},
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (key, at);
