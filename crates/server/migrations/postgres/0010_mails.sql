-- Vigil storage, version 10: the mails sent to candidates (convocations
-- with their credentials), one row per candidate and kind, so that sending
-- a session's mail is resumable: 'sending' is written (with the code the
-- mail carries already in force) before the SMTP exchange, 'sent' or
-- 'failed' after it. A 'sending' left by a crash is not sent again by
-- itself (the server may have taken it): the operator decides (--resend).
CREATE TABLE mails (
    session_id   TEXT NOT NULL REFERENCES sessions(id),
    candidate_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('convocation')),
    state        TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    address      TEXT NOT NULL,
    -- the SMTP server's reply, or why it failed
    detail       TEXT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (session_id, candidate_id, kind)
);
