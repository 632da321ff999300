//! The system check's verdicts, as pure functions of what the browser reports.
//!
//! The browser layer only measures (memory, screens, camera brightness);
//! deciding pass / warn / fail lives here so the thresholds are tested
//! natively and stated once.

/// The verdict of one check item, as exposed in `data-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    Pending,
    Pass,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pending => "pending",
            CheckStatus::Pass => "pass",
            CheckStatus::Warn => "warn",
            CheckStatus::Fail => "fail",
        }
    }
}

/// Below this (GB, as `navigator.deviceMemory` reports) the exam cannot run.
pub const MEMORY_FAIL_BELOW_GB: f64 = 4.0;
/// Below this, it runs but the candidate is warned.
pub const MEMORY_WARN_BELOW_GB: f64 = 8.0;

/// `navigator.deviceMemory` is coarse (0.25 … 8) and absent in some browsers:
/// unknown is a warning, not a failure.
pub fn memory_status(gb: Option<f64>) -> CheckStatus {
    match gb {
        None => CheckStatus::Warn,
        Some(gb) if gb < MEMORY_FAIL_BELOW_GB => CheckStatus::Fail,
        Some(gb) if gb < MEMORY_WARN_BELOW_GB => CheckStatus::Warn,
        Some(_) => CheckStatus::Pass,
    }
}

/// `screen.isExtended`: true fails, unknown (older browsers) warns.
pub fn screens_status(extended: Option<bool>) -> CheckStatus {
    match extended {
        Some(false) => CheckStatus::Pass,
        Some(true) => CheckStatus::Fail,
        None => CheckStatus::Warn,
    }
}

/// Free space the exam needs on the device: the package, the event log,
/// the photos, the room scan and the incident stills, with a wide margin.
pub const STORAGE_NEEDED_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;

/// `navigator.storage.estimate()`: quota − usage. Unknown warns.
pub fn storage_status(free_bytes: Option<f64>) -> CheckStatus {
    match free_bytes {
        None => CheckStatus::Warn,
        Some(b) if b < STORAGE_NEEDED_BYTES => CheckStatus::Fail,
        Some(_) => CheckStatus::Pass,
    }
}

/// Mean luma (0–255) under which a camera frame counts as black or covered.
pub const DARK_FRAME_LUMA: f64 = 24.0;

/// Mean luma of an RGBA buffer (BT.601 weights), `None` for an empty buffer.
pub fn mean_luma(rgba: &[u8]) -> Option<f64> {
    let pixels = rgba.len() / 4;
    if pixels == 0 {
        return None;
    }
    let sum: f64 = rgba
        .chunks_exact(4)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .sum();
    Some(sum / pixels as f64)
}

/// The whole check may go on when nothing failed (warnings do not block).
pub fn can_continue(statuses: &[CheckStatus]) -> bool {
    statuses
        .iter()
        .all(|s| matches!(s, CheckStatus::Pass | CheckStatus::Warn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_thresholds() {
        assert_eq!(memory_status(None), CheckStatus::Warn);
        assert_eq!(memory_status(Some(2.0)), CheckStatus::Fail);
        assert_eq!(memory_status(Some(3.99)), CheckStatus::Fail);
        assert_eq!(memory_status(Some(4.0)), CheckStatus::Warn);
        assert_eq!(memory_status(Some(8.0)), CheckStatus::Pass);
    }

    #[test]
    fn storage_needs_a_gigabyte() {
        assert_eq!(storage_status(None), CheckStatus::Warn);
        assert_eq!(
            storage_status(Some(500.0 * 1024.0 * 1024.0)),
            CheckStatus::Fail
        );
        assert_eq!(
            storage_status(Some(STORAGE_NEEDED_BYTES)),
            CheckStatus::Pass
        );
    }

    #[test]
    fn screens() {
        assert_eq!(screens_status(Some(false)), CheckStatus::Pass);
        assert_eq!(screens_status(Some(true)), CheckStatus::Fail);
        assert_eq!(screens_status(None), CheckStatus::Warn);
    }

    #[test]
    fn luma_of_black_white_and_empty() {
        assert_eq!(mean_luma(&[]), None);
        assert!(mean_luma(&[0, 0, 0, 255, 0, 0, 0, 255]).unwrap() < 1.0);
        assert!(mean_luma(&[255, 255, 255, 255]).unwrap() > 254.0);
    }

    #[test]
    fn pending_and_failed_items_block() {
        use CheckStatus::*;
        assert!(can_continue(&[Pass, Warn]));
        assert!(!can_continue(&[Pass, Fail]));
        assert!(!can_continue(&[Pass, Pending]));
    }
}
