-- Vigil storage, version 1. Times are INTEGER milliseconds since the Unix
-- epoch (the server clock); ids are TEXT chosen by the operator or generated.
CREATE TABLE exams (
    id              TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    imported_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    exam_id    TEXT NOT NULL REFERENCES exams(id),
    starts_at  INTEGER NOT NULL,
    grace_ms   INTEGER NOT NULL CHECK (grace_ms >= 0),
    created_at INTEGER NOT NULL
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
    started_at   INTEGER,
    UNIQUE (session_id, candidate_id),
    FOREIGN KEY (session_id, candidate_id) REFERENCES candidates(session_id, id)
);

-- Bearer tokens are stored as SHA-256 hex: a leaked database grants no session.
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX tokens_attempt ON tokens(attempt_id);
