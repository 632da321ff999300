//! The guided head turn, as pure rules: which side a camera frame shows.
//!
//! The TAGE procedure wants the whole face and both ears visible, nothing
//! in the ears. Nothing asks a webcam to look at an ear from the front, so
//! the candidate turns the head to each side in turn and a still of each
//! side is kept for the reviewer. The face mesh's yaw says a side was
//! really shown: a frontal face, however long it stays, never passes.
//!
//! Sign: in the camera's own (unmirrored) frame, a positive yaw turns the
//! nose towards the image's right edge (`vigil_vision::HeadPose`), which is
//! the candidate's left.

use vigil_exam::{FaceObservation, Side};

/// The yaw, in degrees, from which a side counts as shown: well past the
/// ±13° of the frontal portraits in the vision tests, short of a profile
/// the detector would lose.
pub const TURN_DEG: f64 = 25.0;
/// Faces scoring below this are not considered (the engine's default
/// `min_face_score`).
pub const MIN_FACE_SCORE: f64 = 0.6;

/// The side a frame shows, with the yaw measured: exactly one face, turned
/// at least [`TURN_DEG`]; `None` otherwise.
pub fn side_shown(faces: &[FaceObservation]) -> Option<(Side, f64)> {
    let mut seen = faces.iter().filter(|f| f.score >= MIN_FACE_SCORE);
    let face = seen.next()?;
    if seen.next().is_some() {
        return None;
    }
    let yaw = face.yaw_deg;
    if yaw >= TURN_DEG {
        Some((Side::Left, yaw))
    } else if yaw <= -TURN_DEG {
        Some((Side::Right, yaw))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(score: f64, yaw: f64) -> FaceObservation {
        FaceObservation {
            score,
            bbox: [0.3, 0.3, 0.3, 0.3],
            landmarks: vec![],
            yaw_deg: yaw,
            pitch_deg: -5.0,
        }
    }

    #[test]
    fn only_one_clearly_turned_face_shows_a_side() {
        assert_eq!(side_shown(&[]), None);
        // Frontal portraits read up to about 13°.
        assert_eq!(side_shown(&[face(0.9, 12.8)]), None);
        assert_eq!(side_shown(&[face(0.9, -11.9)]), None);
        assert_eq!(side_shown(&[face(0.9, 40.0)]), Some((Side::Left, 40.0)));
        assert_eq!(side_shown(&[face(0.9, -31.0)]), Some((Side::Right, -31.0)));
        // Someone else in the frame: no side, whoever turns.
        assert_eq!(side_shown(&[face(0.9, 40.0), face(0.8, 0.0)]), None);
        // A weak detection does not count, for or against.
        assert_eq!(
            side_shown(&[face(0.9, 40.0), face(0.3, 0.0)]),
            Some((Side::Left, 40.0))
        );
        assert_eq!(side_shown(&[face(0.4, 40.0)]), None);
    }
}
