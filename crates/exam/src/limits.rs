//! Limits of the exam format and of the event log, as public constants.
//!
//! Every input the engine accepts (an authored exam, an answer, an event log
//! received by the server) is bounded, so a hostile or broken input is refused
//! with a typed error instead of exhausting memory. The limits live in one
//! place so the README, the validator and the decoders cannot disagree.

/// Largest exam definition accepted by the decoders, in bytes (TOML or JSON).
pub const MAX_DEFINITION_BYTES: usize = 2 * 1024 * 1024;
/// Longest id (exam, section, question, passage, asset), in bytes.
pub const MAX_ID_LEN: usize = 64;
/// Longest title (exam, section, passage), in bytes.
pub const MAX_TITLE_LEN: usize = 200;
/// Longest instructions text (exam or section), in bytes.
pub const MAX_INSTRUCTIONS_LEN: usize = 8_000;
/// Longest passage text, in bytes.
pub const MAX_PASSAGE_LEN: usize = 20_000;
/// Longest question text, in bytes.
pub const MAX_QUESTION_LEN: usize = 4_000;
/// Longest choice text, in bytes.
pub const MAX_CHOICE_LEN: usize = 1_000;
/// Longest rule item (allowed, forbidden, conduct), in bytes.
pub const MAX_RULE_LEN: usize = 500;
/// Most items in each rule list.
pub const MAX_RULE_ITEMS: usize = 50;
/// Most sections in an exam.
pub const MAX_SECTIONS: usize = 50;
/// Most questions in an exam (all sections together).
pub const MAX_QUESTIONS: usize = 500;
/// Most passages in an exam.
pub const MAX_PASSAGES: usize = 100;
/// Fewest choices of a choice question.
pub const MIN_CHOICES: usize = 2;
/// Most choices of a choice question.
pub const MAX_CHOICES: usize = 10;
/// Most accepted answers of a short-text question.
pub const MAX_ACCEPTED: usize = 20;
/// Most translations per translatable item.
pub const MAX_TRANSLATIONS: usize = 10;
/// Longest exam duration, in seconds (24 h).
pub const MAX_DURATION_S: u64 = 24 * 3600;
/// Longest sync deadline after the end, in seconds (7 days).
pub const MAX_SYNC_DEADLINE_S: u64 = 7 * 24 * 3600;
/// Longest identification after the start (`timing.identification_max_s`), and the shortest.
pub const MAX_IDENTIFICATION_S: u64 = 3600;
pub const MIN_IDENTIFICATION_S: u64 = 5;
/// Longest pre-check deadline before the start (`timing.precheck_deadline_h`),
/// in hours (30 days).
pub const MAX_PRECHECK_DEADLINE_H: u64 = 30 * 24;
/// Longest late-entry grace, in seconds (24 h).
pub const MAX_GRACE_S: u64 = 24 * 3600;
/// Largest absolute value of points, penalties and numeric answers in a definition.
pub const MAX_POINTS: f64 = 1_000.0;
/// Largest absolute numeric value (answers, keys, tolerances).
pub const MAX_NUMERIC: f64 = 1e12;
/// Longest short-text answer, in bytes.
pub const MAX_ANSWER_TEXT_LEN: usize = 1_000;
/// Longest free-form string in an event body (check detail, consent version…), in bytes.
pub const MAX_EVENT_TEXT_LEN: usize = 2_000;
/// Most system-check results in one `checks` event.
pub const MAX_CHECK_ITEMS: usize = 64;
/// Largest event-log document accepted by [`crate::decode_events`], in bytes.
pub const MAX_LOG_BYTES: usize = 64 * 1024 * 1024;
/// Most events in one attempt's log.
pub const MAX_EVENTS: usize = 1_000_000;
/// Longest proctoring hysteresis threshold, in milliseconds (10 min).
pub const MAX_THRESHOLD_MS: u64 = 600_000;

/// Longest name of a blocked action in a `blocked` event, in bytes.
pub const MAX_BLOCKED_ACTION_LEN: usize = 64;
