-- Vigil storage, version 11: candidates moved to another session after a
-- technical failure (`candidates move`). The old attempt is closed as
-- 'technical_failure' with its data kept; the person is registered in the
-- new session. Kept as history, with the pre-check the move relied on or
-- the reason it was forced. No foreign keys to sessions or attempts: the
-- record outlives the purge of either session.
CREATE TABLE moves (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      TEXT NOT NULL REFERENCES persons(id),
    from_session   TEXT NOT NULL,
    from_candidate TEXT NOT NULL,
    from_attempt   TEXT NOT NULL,
    to_session     TEXT NOT NULL,
    to_candidate   TEXT NOT NULL,
    -- when the server stored the validated pre-check; NULL when forced
    precheck_at    INTEGER,
    forced_reason  TEXT,
    at             INTEGER NOT NULL
);
