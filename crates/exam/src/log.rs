//! The append-only, hash-chained event log, its canonical encoding and its
//! verification.
//!
//! # Canonical encoding
//!
//! The hash of an event covers its *canonical bytes*: the UTF-8 JSON object
//!
//! ```text
//! {"at":<at>,"body":<body>,"kind":"<kind>","seq":<seq>}
//! ```
//!
//! with keys sorted by byte value at every level, no whitespace, integers in
//! decimal without leading zeros or `+`, floats (only numeric answers) in the
//! shortest form that reads back to the same `f64` (Rust's `ryu`, e.g. `3.14`,
//! `144.0`, `1e21`), `null` for an absent optional value (optional keys are
//! always present), strings with `"` `\` and U+0000–U+001F escaped (`\b`
//! `\f` `\n` `\r` `\t`, others `\u00XX` with lowercase hex) and every other
//! character written as raw UTF-8. `prev_hash` and `hash` are not part of it.
//!
//! `hash = lowercase_hex(SHA-256(prev ‖ canonical bytes))`, where `prev` is the
//! 32 raw bytes of the previous event's hash; the first event (seq 1) uses the
//! genesis value of the attempt: [`attempt_genesis`] of its id and the
//! server's nonce, so a log is bound to one attempt and cannot be written
//! before the server has revealed the nonce (at login). Logs of attempts
//! made before nonces existed, and the engine's own tests, start from
//! [`GENESIS_HASH`], 32 zero bytes (64 `0`s in hex).
//!
//! A chain is valid when seq runs 1, 2, 3… without gap, each `prev_hash`
//! equals the previous `hash` (genesis for seq 1), each `hash` matches its
//! recomputation, and `at` never decreases. So any changed byte of a decoded
//! event, a removed, inserted or reordered event is caught. The transport
//! form (what the app stores and posts) is `{"seq","at","kind","body",
//! "prev_hash","hash"}`; the verifier always re-encodes canonically, so the
//! transport's whitespace or key order do not matter.

use sha2::{Digest, Sha256};

use crate::event::{Event, EventKind};
use crate::limits::{MAX_EVENTS, MAX_LOG_BYTES};

/// `prev_hash` of the first event of a log bound to no attempt: 32 zero
/// bytes, in hex (see [`attempt_genesis`] for the one the server uses).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The genesis of one attempt's chain: `lowercase_hex(SHA-256("vigil-genesis\n"
/// ‖ attempt_id ‖ "\n" ‖ nonce))`. The server draws the nonce when it
/// registers the attempt and reveals it at login, so a log verifies only
/// against the attempt it was written for: moved to another attempt, its
/// first `prev_hash` no longer matches.
pub fn attempt_genesis(attempt_id: &str, nonce: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"vigil-genesis\n");
    h.update(attempt_id.as_bytes());
    h.update(b"\n");
    h.update(nonce.as_bytes());
    hex::encode(h.finalize())
}

/// The canonical bytes of an event (see the module header).
pub fn canonical_bytes(seq: u64, at: i64, kind: &EventKind) -> Vec<u8> {
    let mut out = Vec::with_capacity(160);
    write_canonical(&mut out, seq, at, kind);
    out
}

fn write_canonical(out: &mut Vec<u8>, seq: u64, at: i64, kind: &EventKind) {
    use std::io::Write as _;
    out.extend_from_slice(b"{\"at\":");
    write!(out, "{at}").expect("writing to a Vec cannot fail");
    out.extend_from_slice(b",\"body\":");
    kind.write_body(out);
    out.extend_from_slice(b",\"kind\":\"");
    out.extend_from_slice(kind.name().as_bytes());
    out.extend_from_slice(b"\",\"seq\":");
    write!(out, "{seq}").expect("writing to a Vec cannot fail");
    out.push(b'}');
}

fn decode_hash(hex_str: &str) -> Option<[u8; 32]> {
    let mut raw = [0u8; 32];
    if hex_str.len() != 64 || hex_str.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    hex::decode_to_slice(hex_str, &mut raw).ok()?;
    Some(raw)
}

fn lower_hex(raw: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in raw.iter().enumerate() {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
    out
}

fn digest(prev: &[u8; 32], seq: u64, at: i64, kind: &EventKind, buf: &mut Vec<u8>) -> [u8; 32] {
    buf.clear();
    write_canonical(buf, seq, at, kind);
    let mut h = Sha256::new();
    h.update(prev);
    h.update(&buf[..]);
    h.finalize().into()
}

/// `hash` of an event given its predecessor's hash (hex). `None` when
/// `prev_hash` is not 64 lowercase hex digits.
pub fn event_hash(prev_hash: &str, seq: u64, at: i64, kind: &EventKind) -> Option<String> {
    let prev = decode_hash(prev_hash)?;
    Some(hex::encode(digest(
        &prev,
        seq,
        at,
        kind,
        &mut Vec::with_capacity(160),
    )))
}

/// What is wrong in a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainFault {
    #[error("seq {found}, expected {expected}")]
    Seq { expected: u64, found: u64 },
    #[error("prev_hash does not match the previous event's hash")]
    PrevHash,
    #[error("hash does not match the event's content")]
    Hash,
    #[error("at {at} goes back before {previous}")]
    TimeBackwards { previous: i64, at: i64 },
    #[error("too many events (max {max})")]
    TooLong { max: usize },
}

/// A chain verification failure, at the event with `seq` (for a missing
/// event: the seq that was expected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq}: {what}")]
pub struct ChainError {
    pub seq: u64,
    pub what: ChainFault,
}

/// Verify a whole log from seq 1, starting from [`GENESIS_HASH`].
pub fn verify(events: &[Event]) -> Result<(), ChainError> {
    verify_chain(GENESIS_HASH, None, events)
}

/// Verify a whole log from seq 1, starting from `genesis` (the attempt's,
/// [`attempt_genesis`]).
pub fn verify_from(genesis: &str, events: &[Event]) -> Result<(), ChainError> {
    verify_chain(genesis, None, events)
}

/// [`verify_chain`] from [`GENESIS_HASH`].
pub fn verify_continuation(last_stored: Option<&Event>, batch: &[Event]) -> Result<(), ChainError> {
    verify_chain(GENESIS_HASH, last_stored, batch)
}

/// Verify `batch` as the continuation of a stored log whose last event is
/// `last_stored` (`None`: the batch starts the log at seq 1, from
/// `genesis`). The server calls this on each sync, after dropping events it
/// already stored.
pub fn verify_chain(
    genesis: &str,
    last_stored: Option<&Event>,
    batch: &[Event],
) -> Result<(), ChainError> {
    let (mut seq, mut prev_hash, mut prev_at) = match last_stored {
        Some(e) => (e.seq, e.hash.as_str(), Some(e.at)),
        None => (0, genesis, None),
    };
    let mut prev_raw = decode_hash(prev_hash);
    let mut buf = Vec::with_capacity(256);
    for e in batch {
        let expected = seq + 1;
        let fail = |what| {
            Err(ChainError {
                seq: expected,
                what,
            })
        };
        if expected as usize > MAX_EVENTS {
            return fail(ChainFault::TooLong { max: MAX_EVENTS });
        }
        if e.seq != expected {
            return fail(ChainFault::Seq {
                expected,
                found: e.seq,
            });
        }
        if e.prev_hash != prev_hash {
            return fail(ChainFault::PrevHash);
        }
        if let Some(p) = prev_at.filter(|p| e.at < *p) {
            return fail(ChainFault::TimeBackwards {
                previous: p,
                at: e.at,
            });
        }
        // A stored predecessor with a malformed hash cannot be continued.
        let Some(prev) = prev_raw else {
            return fail(ChainFault::PrevHash);
        };
        let own = digest(&prev, e.seq, e.at, &e.kind, &mut buf);
        if e.hash.as_bytes() != lower_hex(&own) {
            return fail(ChainFault::Hash);
        }
        seq = expected;
        prev_hash = &e.hash;
        prev_raw = Some(own);
        prev_at = Some(e.at);
    }
    Ok(())
}

/// Why a transported log could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("event log too large: {bytes} bytes (max {max})")]
    TooLarge { bytes: usize, max: usize },
    #[error("event log is not a valid JSON array of events: {0}")]
    Syntax(String),
}

/// Decode a transported log (a JSON array of events). Does not verify the
/// chain: call [`verify`] or [`verify_continuation`].
pub fn decode_events(json: &str) -> Result<Vec<Event>, DecodeError> {
    if json.len() > MAX_LOG_BYTES {
        return Err(DecodeError::TooLarge {
            bytes: json.len(),
            max: MAX_LOG_BYTES,
        });
    }
    serde_json::from_str(json).map_err(|e| DecodeError::Syntax(e.to_string()))
}

/// Encode events in transport form (a compact JSON array).
pub fn encode_events(events: &[Event]) -> String {
    serde_json::to_string(events).expect("events always serialize")
}

/// An append-only log. Appending computes seq, prev_hash and hash.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLog {
    /// `prev_hash` of the first event.
    genesis: String,
    events: Vec<Event>,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::with_genesis(GENESIS_HASH)
    }
}

impl EventLog {
    /// An empty log from [`GENESIS_HASH`].
    pub fn new() -> Self {
        EventLog::default()
    }

    /// An empty log whose first event will link to `genesis`. A malformed
    /// genesis (not 64 lowercase hex digits) is replaced by [`GENESIS_HASH`]:
    /// the server, which knows the attempt's real one, refuses such a log.
    pub fn with_genesis(genesis: &str) -> Self {
        let genesis = if decode_hash(genesis).is_some() {
            genesis
        } else {
            GENESIS_HASH
        };
        EventLog {
            genesis: genesis.to_owned(),
            events: Vec::new(),
        }
    }

    /// Adopt stored events after verifying their chain from [`GENESIS_HASH`].
    pub fn from_events(events: Vec<Event>) -> Result<EventLog, ChainError> {
        EventLog::from_events_with_genesis(GENESIS_HASH, events)
    }

    /// Adopt stored events after verifying their chain from `genesis`.
    pub fn from_events_with_genesis(
        genesis: &str,
        events: Vec<Event>,
    ) -> Result<EventLog, ChainError> {
        verify_from(genesis, &events)?;
        Ok(EventLog {
            genesis: genesis.to_owned(),
            events,
        })
    }

    /// The `prev_hash` of the first event.
    pub fn genesis(&self) -> &str {
        &self.genesis
    }

    /// Append a fact at time `at`; returns the new event. The caller (the
    /// attempt) is responsible for `at` never decreasing.
    pub fn append(&mut self, kind: EventKind, at: i64) -> &Event {
        let (seq, prev_hash) = match self.events.last() {
            Some(e) => (e.seq + 1, e.hash.clone()),
            None => (1, self.genesis.clone()),
        };
        let hash = event_hash(&prev_hash, seq, at, &kind).expect("stored hashes are valid hex");
        self.events.push(Event {
            seq,
            at,
            kind,
            prev_hash,
            hash,
        });
        self.events.last().expect("just pushed")
    }

    /// Adopt events already verified by the caller from `genesis`.
    pub(crate) fn from_verified(genesis: &str, events: Vec<Event>) -> EventLog {
        EventLog {
            genesis: genesis.to_owned(),
            events,
        }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn last(&self) -> Option<&Event> {
        self.events.last()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Drops the events after the first `len` (an append the caller could
    /// not store). Never grows the log.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.events.truncate(len);
    }

    /// Events with `seq > after` (what is still to sync after an ack).
    pub fn since(&self, after: u64) -> &[Event] {
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(self.events.len());
        &self.events[start..]
    }

    pub fn into_events(self) -> Vec<Event> {
        self.events
    }
}
