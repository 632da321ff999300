//! The microphone: opened alone (no camera), read through a Web Audio
//! analyser for a live level, closed when dropped.
//!
//! Why Web Audio and not a recorder: the level is wanted ten times a second
//! while the candidate speaks, and the analyser gives the last samples
//! without storing any sound. Browsers start an `AudioContext` suspended
//! until the page has had a user gesture; [`Microphone::suspended`] tells
//! the screen to offer a button, whose click calls [`Microphone::resume`].

use web_sys::{AnalyserNode, AudioContext, AudioContextState, MediaStream};

use crate::browser::camera;

/// Samples per level reading (about 21 ms at 48 kHz).
const WINDOW: u32 = 1024;

/// An open microphone with its analyser.
pub struct Microphone {
    stream: MediaStream,
    context: AudioContext,
    analyser: AnalyserNode,
    buffer: Vec<f32>,
    spectrum: Vec<f32>,
}

/// Asks for the microphone (audio only); the error is the browser's name
/// for the failure (`NotAllowedError`, `NotFoundError`…).
pub async fn open() -> Result<Microphone, String> {
    let stream = camera::user_media(false, true).await.map_err(|e| e.0)?;
    let context = AudioContext::new().map_err(|_| "AudioContext unavailable".to_string())?;
    let source = context
        .create_media_stream_source(&stream)
        .map_err(|_| "audio source unavailable".to_string())?;
    let analyser = context
        .create_analyser()
        .map_err(|_| "audio analyser unavailable".to_string())?;
    analyser.set_fft_size(WINDOW);
    // Each reading is the spectrum of the last WINDOW samples alone. The
    // default (0.8) blends every reading into the next, so one short beep
    // lingers over several readings and looks sustained, like speech; the
    // voice detector does its own integration over time (crate::voice).
    analyser.set_smoothing_time_constant(0.0);
    source
        .connect_with_audio_node(&analyser)
        .map_err(|_| "audio graph refused".to_string())?;
    Ok(Microphone {
        stream,
        context,
        analyser,
        buffer: vec![0.0; WINDOW as usize],
        spectrum: vec![0.0; (WINDOW / 2) as usize],
    })
}

impl Microphone {
    /// RMS level of the last [`WINDOW`] samples (0 = silence, 1 = full scale).
    pub fn level(&mut self) -> f64 {
        self.analyser.get_float_time_domain_data(&mut self.buffer);
        crate::checks::rms(&self.buffer)
    }

    /// Level of the speech band (300–3400 Hz) now, in dB (see
    /// [`crate::voice::band_db`]).
    pub fn speech_band_db(&mut self) -> f64 {
        self.analyser.get_float_frequency_data(&mut self.spectrum);
        crate::voice::band_db(
            &self.spectrum,
            f64::from(self.context.sample_rate()),
            WINDOW as usize,
        )
    }

    /// Whether the browser holds the audio until a user gesture.
    pub fn suspended(&self) -> bool {
        self.context.state() == AudioContextState::Suspended
    }

    /// Resumes the audio; call it in a click handler (the gesture allows
    /// it). The level readings show when it took effect.
    pub fn resume(&self) {
        let _ = self.context.resume();
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        camera::stop(&self.stream);
        // Nothing to wait for: closing releases the audio device.
        let _ = self.context.close();
    }
}
