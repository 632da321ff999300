-- Vigil storage, version 3: proctor accounts and their review logins.
-- Passwords are argon2 PHC strings; a login cookie is stored as its SHA-256
-- (like candidate tokens). A proctor sees only the sessions assigned here.
CREATE TABLE proctors (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE proctor_sessions (
    proctor    TEXT NOT NULL REFERENCES proctors(name),
    session_id TEXT NOT NULL REFERENCES sessions(id),
    PRIMARY KEY (proctor, session_id)
);

CREATE TABLE proctor_logins (
    token_hash TEXT PRIMARY KEY,
    proctor    TEXT NOT NULL REFERENCES proctors(name),
    expires_at INTEGER NOT NULL
);
