//! The review flags: facts about an attempt that a reviewer must see,
//! written by the server (never by the app) and shown on the session page,
//! the dossier and in the results CSV.
//!
//! One enum so the names written to the database, the pages, the CSV and
//! the docs cannot drift apart. Most flags are stored as they are found
//! (`flags` table, with a detail sentence); the scoring replay adds three of
//! its own to a results row without storing them ([`FlagKind::AfterDeadline`],
//! [`FlagKind::OutOfOrder`], [`FlagKind::ReplayFailed`]), since they follow
//! from the log each time.
//! Stored names this version does not know (a later version's) are still
//! read and shown as they are: the rows keep the text.

/// What a flag says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlagKind {
    /// A stored event re-sent with another hash, or a log written for
    /// another attempt: 409 `chain_conflict`.
    Tampering,
    /// Data after the sync deadline.
    Late,
    /// Started with the printed start code; the server saw the start at sync.
    OfflineStart,
    /// The log's account of time disagrees with the server's records.
    TimeMismatch,
    /// Answers the log places after the server's deadlines (not scored).
    AfterDeadline,
    /// The stored log does not replay.
    ReplayFailed,
    /// Data that came in an encrypted copy, imported by the organiser
    /// (`vigil-server attempt import`), not over the network.
    ManualImport,
    /// The identification steps after the start were not done within the
    /// exam's bound: the questions opened anyway (the missing steps named).
    IdentificationOverrun,
    /// Identification steps the log places where the order of the day does
    /// not allow them (before the start, after the questions opened), seen
    /// by the scoring replay (not stored).
    OutOfOrder,
    /// Events that arrived after a pause in the attempt's syncing, dated
    /// well before their arrival: written while the app could not sync, or
    /// dated back by a modified app. The server's arrival times are the
    /// evidence.
    Backdated,
}

impl FlagKind {
    pub const ALL: [FlagKind; 10] = [
        FlagKind::Tampering,
        FlagKind::Late,
        FlagKind::OfflineStart,
        FlagKind::TimeMismatch,
        FlagKind::AfterDeadline,
        FlagKind::ReplayFailed,
        FlagKind::ManualImport,
        FlagKind::IdentificationOverrun,
        FlagKind::OutOfOrder,
        FlagKind::Backdated,
    ];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::Tampering => "tampering",
            FlagKind::Late => "late",
            FlagKind::OfflineStart => "offline_start",
            FlagKind::TimeMismatch => "time_mismatch",
            FlagKind::AfterDeadline => "after_deadline",
            FlagKind::ReplayFailed => "replay_failed",
            FlagKind::ManualImport => "manual_import",
            FlagKind::IdentificationOverrun => "identification_overrun",
            FlagKind::OutOfOrder => "out_of_order",
            FlagKind::Backdated => "backdated",
        }
    }

    /// The kind of a stored name, if this version knows it.
    pub fn parse(name: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for FlagKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_read_back() {
        for k in FlagKind::ALL {
            assert_eq!(FlagKind::parse(k.as_str()), Some(k));
        }
        let mut names: Vec<&str> = FlagKind::ALL.iter().map(|k| k.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), FlagKind::ALL.len());
        assert_eq!(FlagKind::parse("from_a_later_version"), None);
    }
}
