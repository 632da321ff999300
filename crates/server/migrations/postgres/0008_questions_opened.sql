-- Vigil storage, version 8: the order of the day. The start (check-in at
-- the click, `started_at`) is followed by the identification steps; the
-- questions open, and the timer starts, when the app says they are done
-- (`POST /api/attempt/questions`) or at the exam's identification bound.
-- The server's record of that moment, never later than the bound, is what
-- the scoring replay follows. NULL: not seen (offline, or not yet).
ALTER TABLE attempts ADD COLUMN questions_opened_at BIGINT;
