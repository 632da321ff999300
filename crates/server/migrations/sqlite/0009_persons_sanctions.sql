-- Vigil storage, version 9: people and sanctions.
--
-- A person is who sits the tests, known by the organiser's registration
-- number, across sessions and years; a candidate (a session's login) may
-- name one. A re-import of a roster updates names and emails here.
CREATE TABLE persons (
    id          TEXT PRIMARY KEY,
    family_name TEXT NOT NULL,
    given_name  TEXT NOT NULL,
    email       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
ALTER TABLE candidates ADD COLUMN person_id TEXT REFERENCES persons(id);
CREATE INDEX candidates_person ON candidates(person_id);

-- The reviewer's decision gains the sanctions: invalidated, excluded until
-- a date (`excluded_until`, required for it and only for it), reported to
-- the Ministry. SQLite cannot change a CHECK: the table is rebuilt.
CREATE TABLE decisions_v9 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id     TEXT NOT NULL REFERENCES attempts(id),
    proctor        TEXT NOT NULL,
    decision       TEXT NOT NULL
        CHECK (decision IN ('valid', 'incident', 'invalidated', 'excluded', 'reported')),
    comment        TEXT NOT NULL,
    at             INTEGER NOT NULL,
    excluded_until INTEGER,
    CHECK ((decision = 'excluded') = (excluded_until IS NOT NULL))
);
INSERT INTO decisions_v9 (id, attempt_id, proctor, decision, comment, at)
    SELECT id, attempt_id, proctor, decision, comment, at FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_v9 RENAME TO decisions;
CREATE INDEX decisions_attempt ON decisions(attempt_id);

-- The exclusion standing on each attempt (the latest decision's, if it is
-- one), by person. No foreign key to the attempt or its session: an
-- exclusion outlives the purge of the session's data, up to its end.
CREATE TABLE exclusions (
    attempt_id  TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES persons(id),
    session_id  TEXT NOT NULL,
    until       INTEGER NOT NULL,
    proctor     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX exclusions_person ON exclusions(person_id);

-- Registrations of an excluded person that the operator forced, with the
-- reason given.
CREATE TABLE registration_overrides (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id     TEXT NOT NULL REFERENCES sessions(id),
    person_id      TEXT NOT NULL REFERENCES persons(id),
    excluded_until INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    at             INTEGER NOT NULL
);
