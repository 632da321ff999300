-- Vigil storage, version 2: encrypted packages, the synced event log, media
-- and review flags.

-- The package of a session: its exam (redacted: no answer keys) encrypted
-- once, at session creation, with AES-256-GCM under a key derived from the
-- session's printed start code. Every candidate of the session downloads the
-- same bytes, so the package caches well. Sessions created before version 2
-- have no package (NULL) and must be recreated.
-- The key is stored in clear here; a deployment would wrap it with a master
-- key held outside the database (out of scope for now).
ALTER TABLE sessions ADD COLUMN package_key BLOB;
ALTER TABLE sessions ADD COLUMN package_nonce BLOB;
ALTER TABLE sessions ADD COLUMN package_ciphertext BLOB;
ALTER TABLE sessions ADD COLUMN package_sha256 TEXT;

-- Accommodation (extra time, per the exam's ratio) and the sync bookkeeping.
-- The first statement of every sync transaction updates last_sync_at: it
-- takes the write lock (SQLite) or the row lock (PostgreSQL) up front, so
-- concurrent syncs of one attempt run one after the other.
ALTER TABLE attempts ADD COLUMN extra_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN last_sync_at INTEGER;

-- The attempt's hash-chained log as synced: one row per event, verified by
-- the engine before it is stored; `json` is the transport form.
CREATE TABLE events (
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    seq        INTEGER NOT NULL CHECK (seq >= 1),
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    json       TEXT NOT NULL,
    stored_at  INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, seq)
);

-- Media blobs an attempt uploaded (the bytes live in the content-addressed
-- store, named by their SHA-256).
CREATE TABLE media (
    attempt_id  TEXT NOT NULL REFERENCES attempts(id),
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, sha256)
);

-- Facts a reviewer must see: `tampering` (a stored event re-sent with
-- another hash), `late` (data after the sync deadline), `offline_start`
-- (started with the printed start code, seen at sync).
CREATE TABLE flags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX flags_attempt ON flags(attempt_id);
