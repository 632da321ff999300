-- Vigil storage, version 13: room reserved in an attempt's media quota by
-- the uploads in progress (crates/server/src/quota.rs). An upload reserves
-- its whole size before the server accepts a byte of it, in one
-- transaction that first updates the attempt's row (`media_reserved_at`),
-- so the reservations of one attempt are made one after another even from
-- several replicas: parallel uploads cannot together pass the quota. A
-- reservation goes when its upload completes (the `media` row takes over)
-- or fails with nothing kept; one not touched for
-- `quota::RESERVATION_IDLE_MS` no longer counts (an abandoned upload).
CREATE TABLE media_reservations (
    attempt_id TEXT NOT NULL REFERENCES attempts(id),
    sha256     TEXT NOT NULL,
    bytes      BIGINT NOT NULL,
    touched_at BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, sha256)
);
ALTER TABLE attempts ADD COLUMN media_reserved_at BIGINT;
