-- Vigil storage, version 7: each session's copy key, the X25519 secret
-- (32 bytes) whose public half the candidates receive at login: a candidate
-- whose data cannot be sent saves an encrypted copy of the attempt that only
-- this key opens (crates/copy), and `vigil-server attempt import` reads it.
-- Drawn on first use (older sessions get one at their next login). Stored
-- in clear, like the package key: a deployment would wrap it with a master
-- key held outside the database.
ALTER TABLE sessions ADD COLUMN copy_secret BYTEA;
