//! The system check's verdicts, as pure functions of what the browser reports.
//!
//! The browser layer only measures (memory, screens, camera brightness,
//! microphone level, round trips and throughput);
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

/// RMS level (of samples in −1…1) above which the microphone hears the
/// candidate: speech at arm's length is 0.05–0.3, a quiet room under 0.01.
pub const MIC_HEARD_RMS: f64 = 0.02;
/// How long the meter listens before saying it heard nothing.
pub const MIC_LISTEN_MS: f64 = 10_000.0;

/// The microphone: heard something → pass; silent after
/// [`MIC_LISTEN_MS`] → warn (muted, or a very quiet room: voice detection
/// needs a working microphone, but a silent room is no reason to refuse);
/// otherwise still listening.
pub fn microphone_status(peak_rms: f64, listened_ms: f64) -> CheckStatus {
    if peak_rms >= MIC_HEARD_RMS {
        CheckStatus::Pass
    } else if listened_ms >= MIC_LISTEN_MS {
        CheckStatus::Warn
    } else {
        CheckStatus::Pending
    }
}

/// RMS of audio samples, 0 for none.
pub fn rms(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    (sum / samples.len() as f64).sqrt()
}

/// The meter's fill, 0–100, on a square-root scale so that speech moves it
/// visibly (a linear RMS bar barely leaves the floor).
pub fn meter_percent(rms: f64) -> u8 {
    (rms.clamp(0.0, 1.0).sqrt() * 100.0 * 2.0)
        .min(100.0)
        .round() as u8
}

/// Round trip to the server above which the network check warns, in ms.
pub const NETWORK_SLOW_RTT_MS: f64 = 800.0;
/// Throughput below which it warns, in bits per second (1 Mbit/s: the
/// room-scan video, a few MB, then takes under a minute to send).
pub const NETWORK_SLOW_BPS: f64 = 1_000_000.0;

/// The network: the exam runs offline once started, so a slow or absent
/// network warns (it matters at the start, for the key, and after the end,
/// for the sending) and never fails.
pub fn network_status(rtt_ms: Option<f64>, bits_per_s: Option<f64>) -> CheckStatus {
    match (rtt_ms, bits_per_s) {
        (Some(rtt), Some(bps)) if rtt <= NETWORK_SLOW_RTT_MS && bps >= NETWORK_SLOW_BPS => {
            CheckStatus::Pass
        }
        _ => CheckStatus::Warn,
    }
}

/// The median of a few measurements (`None` for none).
pub fn median(mut xs: Vec<f64>) -> Option<f64> {
    xs.retain(|x| x.is_finite());
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
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
    fn microphone_hears_or_warns_after_listening() {
        assert_eq!(microphone_status(0.0, 0.0), CheckStatus::Pending);
        assert_eq!(microphone_status(0.005, 9_999.0), CheckStatus::Pending);
        assert_eq!(microphone_status(0.005, 10_000.0), CheckStatus::Warn);
        assert_eq!(microphone_status(0.1, 100.0), CheckStatus::Pass);
        assert_eq!(rms(&[]), 0.0);
        assert!((rms(&[0.5, -0.5, 0.5, -0.5]) - 0.5).abs() < 1e-9);
        assert_eq!(meter_percent(0.0), 0);
        assert_eq!(meter_percent(0.01), 20);
        assert_eq!(meter_percent(1.0), 100);
        assert!(
            meter_percent(MIC_HEARD_RMS) > 20,
            "speech must visibly move the bar"
        );
    }

    #[test]
    fn network_warns_when_slow_or_absent_never_fails() {
        assert_eq!(network_status(Some(40.0), Some(20e6)), CheckStatus::Pass);
        assert_eq!(network_status(Some(900.0), Some(20e6)), CheckStatus::Warn);
        assert_eq!(network_status(Some(40.0), Some(0.5e6)), CheckStatus::Warn);
        assert_eq!(network_status(None, None), CheckStatus::Warn);
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn pending_and_failed_items_block() {
        use CheckStatus::*;
        assert!(can_continue(&[Pass, Warn]));
        assert!(!can_continue(&[Pass, Fail]));
        assert!(!can_continue(&[Pass, Pending]));
    }
}
