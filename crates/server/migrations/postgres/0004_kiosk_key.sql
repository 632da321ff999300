-- Vigil storage, version 4: the kiosk requirement of a session. When set,
-- the candidate API refuses requests whose X-Vigil-Config-Key header is not
-- this value (the SHA-256 hex of a vigil-kiosk configuration, see
-- crates/kiosk). NULL: any browser may sit the session.
ALTER TABLE sessions ADD COLUMN kiosk_key TEXT;
