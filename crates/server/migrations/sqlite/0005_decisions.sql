-- Vigil storage, version 5: reviewers' decisions on attempts. Append-only:
-- a new decision does not erase the earlier ones, the latest counts, and
-- the incident report prints the history.
CREATE TABLE decisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    proctor    TEXT NOT NULL,
    -- 'valid' (nothing to report) or 'incident' (an incident report is due)
    decision   TEXT NOT NULL CHECK (decision IN ('valid', 'incident')),
    comment    TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX decisions_attempt ON decisions(attempt_id);
