//! Voice activity from the microphone, as pure arithmetic: the energy in
//! the speech band (300–3400 Hz) of each reading, against a noise floor
//! that follows the room.
//!
//! Why shaped so: a proctor wants to know whether someone is talking, not
//! whether there is sound. A fan or a hum sits still in the spectrum and the
//! floor climbs up to it within seconds; speech comes and goes, and its
//! pauses pull the floor back down at once (the floor follows minima
//! instantly and rises slowly). A short sound (a cough, a notification
//! beep) fills too few readings of a one-second window to count. No sound
//! is stored: only the yes/no of each window reaches the rules, which open
//! a `voice` incident if it holds for seconds (the exam's policy).

/// Readings per window (the app reads the analyser every 100 ms).
pub const READINGS_PER_WINDOW: usize = 10;
/// A reading is loud when this far above the noise floor.
pub const MARGIN_DB: f64 = 12.0;
/// A window is voice when at least this many readings are loud.
pub const LOUD_READINGS: usize = 4;
/// How fast the floor rises while the level stays above it, per reading.
pub const FLOOR_RISE_DB: f64 = 0.3;
/// Below this absolute level nothing counts as voice (a silent room).
pub const SILENCE_DB: f64 = -75.0;
/// The speech band.
pub const BAND_HZ: (f64, f64) = (300.0, 3400.0);

/// The detector's state between readings.
#[derive(Debug, Default, Clone)]
pub struct VoiceDetector {
    floor_db: Option<f64>,
    readings: usize,
    loud: usize,
}

impl VoiceDetector {
    /// Takes one reading (speech-band level in dB); at the end of each
    /// window, whether it held voice.
    pub fn push(&mut self, band_db: f64) -> Option<bool> {
        let level = if band_db.is_finite() { band_db } else { -200.0 };
        let floor = match self.floor_db {
            Some(f) if level >= f => f + FLOOR_RISE_DB,
            _ => level,
        };
        self.floor_db = Some(floor);
        if level > SILENCE_DB && level > floor + MARGIN_DB {
            self.loud += 1;
        }
        self.readings += 1;
        if self.readings < READINGS_PER_WINDOW {
            return None;
        }
        let voice = self.loud >= LOUD_READINGS;
        self.readings = 0;
        self.loud = 0;
        Some(voice)
    }
}

/// Mean power of the speech band, in dB, from an analyser's spectrum
/// (`getFloatFrequencyData`: dB per bin, bin `i` at `i × rate / fft_size` Hz).
pub fn band_db(spectrum_db: &[f32], sample_rate: f64, fft_size: usize) -> f64 {
    if spectrum_db.is_empty() || fft_size == 0 || sample_rate <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let hz_per_bin = sample_rate / fft_size as f64;
    let lo = (BAND_HZ.0 / hz_per_bin).ceil() as usize;
    let hi = ((BAND_HZ.1 / hz_per_bin).floor() as usize).min(spectrum_db.len() - 1);
    if lo > hi {
        return f64::NEG_INFINITY;
    }
    let power: f64 = spectrum_db[lo..=hi]
        .iter()
        .map(|db| 10f64.powf(f64::from(*db) / 10.0))
        .sum::<f64>()
        / (hi - lo + 1) as f64;
    10.0 * power.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(d: &mut VoiceDetector, levels: impl IntoIterator<Item = f64>) -> Vec<bool> {
        levels.into_iter().filter_map(|l| d.push(l)).collect()
    }

    #[test]
    fn a_quiet_room_is_not_voice() {
        let mut d = VoiceDetector::default();
        let quiet = (0..50).map(|i| -80.0 + f64::from(i % 3));
        assert_eq!(windows(&mut d, quiet), vec![false; 5]);
    }

    #[test]
    fn talking_over_a_quiet_room_is_voice() {
        let mut d = VoiceDetector::default();
        windows(&mut d, std::iter::repeat_n(-70.0, 30));
        // Syllables: loud 6 readings in 10, pauses between.
        let speech = (0..30).map(|i| if i % 10 < 6 { -40.0 } else { -68.0 });
        assert_eq!(windows(&mut d, speech), vec![true; 3]);
    }

    #[test]
    fn a_short_beep_or_cough_is_not_voice() {
        let mut d = VoiceDetector::default();
        windows(&mut d, std::iter::repeat_n(-70.0, 30));
        // One loud reading a second: Chromium's fake microphone beeps so, as
        // the app reads it (its analyser does no smoothing, see
        // browser/microphone.rs).
        let beeps = (0..50).map(|i| if i % 10 == 0 { -30.0 } else { -70.0 });
        assert_eq!(windows(&mut d, beeps), vec![false; 5]);
    }

    #[test]
    fn a_steady_fan_is_absorbed_into_the_floor() {
        let mut d = VoiceDetector::default();
        windows(&mut d, std::iter::repeat_n(-70.0, 20));
        // A fan starts at −45 dB and keeps running.
        let w = windows(&mut d, std::iter::repeat_n(-45.0, 200));
        assert!(w[..2].iter().all(|v| *v), "at first it is loud: {w:?}");
        assert!(w[w.len() - 5..].iter().all(|v| !v), "then the floor: {w:?}");
    }

    #[test]
    fn silence_is_never_voice_even_far_above_a_digital_zero_floor() {
        let mut d = VoiceDetector::default();
        windows(&mut d, std::iter::repeat_n(f64::NEG_INFINITY, 10));
        assert_eq!(windows(&mut d, std::iter::repeat_n(-90.0, 10)), vec![false]);
    }

    #[test]
    fn the_band_level_averages_power_over_300_to_3400_hz() {
        // 48 kHz, fft 1024: 46.875 Hz per bin; band = bins 7..=72.
        let mut spectrum = vec![-100.0f32; 512];
        for bin in spectrum.iter_mut().take(73).skip(7) {
            *bin = -40.0;
        }
        let db = band_db(&spectrum, 48_000.0, 1024);
        assert!((db + 40.0).abs() < 1e-6, "{db}");
        // Energy outside the band does not count.
        let mut low = vec![-100.0f32; 512];
        low[2] = 0.0;
        assert!(band_db(&low, 48_000.0, 1024) < -99.0);
        assert_eq!(band_db(&[], 48_000.0, 1024), f64::NEG_INFINITY);
    }
}
