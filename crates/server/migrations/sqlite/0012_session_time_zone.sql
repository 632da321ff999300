-- Vigil storage, version 12: each session's time zone (an IANA name), in
-- which people read its times: the pages, the procès-verbal, the
-- convocation, the results CSV. Data stay in UTC milliseconds.
ALTER TABLE sessions ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Paris';
