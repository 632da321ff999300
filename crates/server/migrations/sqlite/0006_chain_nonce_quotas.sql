-- Vigil storage, version 6: each attempt's chain starts from a genesis bound
-- to it, SHA-256("vigil-genesis\n" || attempt id || "\n" || chain_nonce)
-- (vigil_exam::attempt_genesis). The nonce is drawn when the attempt is
-- registered and revealed to the candidate at login, so a log cannot be
-- moved to another attempt nor written before the login. Attempts registered
-- before version 6 keep NULL: their logs start from the zero genesis.
ALTER TABLE attempts ADD COLUMN chain_nonce TEXT;

-- The bytes of the attempt's stored events (their transport JSON), kept by
-- each sync so the per-attempt quota (crates/server/src/quota.rs) is checked
-- without summing the log.
ALTER TABLE attempts ADD COLUMN event_bytes INTEGER NOT NULL DEFAULT 0;
