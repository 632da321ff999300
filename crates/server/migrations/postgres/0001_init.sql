-- Vigil storage, version 1, PostgreSQL form of migrations/sqlite/0001_init.sql
-- (same tables and columns; BIGINT for the INTEGER milliseconds and counters,
-- so the shared queries bind and read i64 on both backends).
CREATE TABLE exams (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    imported_at     BIGINT NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    exam_id    TEXT NOT NULL REFERENCES exams(id),
    starts_at  BIGINT NOT NULL,
    grace_ms   BIGINT NOT NULL CHECK (grace_ms >= 0),
    created_at BIGINT NOT NULL
);

-- Access codes are stored as argon2 PHC strings, never in clear.
CREATE TABLE candidates (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    id         TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    PRIMARY KEY (session_id, id)
);

-- One attempt per candidate and session: a started exam cannot be started again.
CREATE TABLE attempts (
    id           TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    state        TEXT NOT NULL,
    started_at   BIGINT,
    UNIQUE (session_id, candidate_id),
    FOREIGN KEY (session_id, candidate_id) REFERENCES candidates(session_id, id)
);

-- Bearer tokens are stored as SHA-256 hex: a leaked database grants no session.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX tokens_attempt ON tokens(attempt_id);
