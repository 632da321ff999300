//! Face mesh (MediaPipe face_landmark) for head pose and a second opinion
//! on whether a face is there.
//!
//! The model takes a 192×192 RGB crop in [0, 1] and gives 468 landmarks
//! (x, y in crop pixels, z a relative depth in about the same scale, smaller
//! is nearer the camera) and a face-present logit. MediaPipe feeds it a crop
//! rotated upright from the eye line; we crop axis-aligned (1.5 × the
//! detected box, square) because a candidate at a desk holds the head nearly
//! upright, and the pose we want (yaw, pitch) does not depend on roll.
//!
//! Head pose comes from landmark depth, not from a solved 3-D model: yaw is
//! the angle of the cheek-to-cheek line (234 → 454) in the x–z plane, pitch
//! the angle of the forehead-to-chin line (10 → 152) in the y–z plane.
//! Using the mesh's own z makes the angles independent of face shape and
//! distance, which a 2-D ratio (nose against cheeks) is not.
//!
//! Sign convention, in image terms so it holds for mirrored previews too:
//! yaw is positive when the nose turns towards the image's right edge (in an
//! unmirrored camera image, the candidate turning to their own left); pitch
//! is positive when the face tilts up (chin forward, nose towards the top).
//! A horizontally mirrored image therefore flips the sign of yaw.

use crate::detector::Face;
use crate::frame::{crop_square, warp_planar, Frame};
use crate::model::Model;
use crate::{Error, Result};

/// Number of landmarks of the face mesh.
pub const LANDMARKS: usize = 468;
const INPUT: usize = 192;
/// Crop side as a multiple of the detected box (MediaPipe's 1.5).
const CROP_FACTOR: f32 = 1.5;

// Mesh indices (MediaPipe canonical face topology).
const FOREHEAD: usize = 10;
const CHIN: usize = 152;
/// On the image's left for an unmirrored frontal face (the person's right).
const CHEEK_IMAGE_LEFT: usize = 234;
const CHEEK_IMAGE_RIGHT: usize = 454;

/// Head orientation in degrees. yaw > 0: the nose turns towards the image's
/// right edge; pitch > 0: the face tilts up. Image terms, so a mirrored
/// image flips the sign of yaw.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HeadPose {
    pub yaw_deg: f32,
    pub pitch_deg: f32,
}

/// What the mesh says about one face.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshResult {
    /// Probability that the crop holds a face (sigmoid of the model's flag).
    pub face_present: f32,
    pub pose: HeadPose,
    /// The 468 landmarks in the frame's pixels; z in the same pixel scale.
    pub landmarks: Vec<[f32; 3]>,
}

/// Yaw and pitch from mesh landmarks `[x, y, z]` (any uniform scale).
pub fn head_pose(landmarks: &[[f32; 3]]) -> Option<HeadPose> {
    let get = |i: usize| landmarks.get(i).copied();
    let (l, r) = (get(CHEEK_IMAGE_LEFT)?, get(CHEEK_IMAGE_RIGHT)?);
    let (top, bottom) = (get(FOREHEAD)?, get(CHIN)?);
    // Turning the nose to the image's right pushes the image-right cheek
    // away from the camera (larger z).
    let yaw = (r[2] - l[2]).atan2(r[0] - l[0]);
    // Tilting up brings the chin nearer (smaller z) than the forehead.
    let pitch = (top[2] - bottom[2]).atan2(bottom[1] - top[1]);
    Some(HeadPose {
        yaw_deg: yaw.to_degrees(),
        pitch_deg: pitch.to_degrees(),
    })
}

/// A loaded face-mesh model.
pub struct FaceMesh {
    model: Model,
}

impl FaceMesh {
    /// Loads `face_landmark.onnx`, or its conversion (`cargo xtask worker`), from its bytes.
    pub fn from_model_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(FaceMesh {
            model: Model::load(bytes, "face mesh", &[1, 3, INPUT, INPUT])?,
        })
    }

    /// The model's input for `face`: its square crop, as planar floats in
    /// [0, 1], and the crop's map back into the frame.
    fn input(frame: &Frame, face: &Face) -> Result<(Vec<f32>, crate::geometry::Affine)> {
        let (map, _) = crop_square(&face.bbox, CROP_FACTOR, INPUT);
        let input = warp_planar(frame, &map, INPUT, INPUT, 1.0 / 255.0, 0.0)?;
        Ok((input, map))
    }

    /// The model's input for `face` alone (the benchmark times it).
    pub fn preprocess(&self, frame: &Frame, face: &Face) -> Result<Vec<f32>> {
        Ok(Self::input(frame, face)?.0)
    }

    /// The inference on `face`, timed by operator kind (the benchmark's
    /// profile, as [`crate::FaceDetector::profile_inference`]).
    pub fn profile_inference(
        &self,
        frame: &Frame,
        face: &Face,
        clock: &mut dyn FnMut() -> f64,
    ) -> Result<Vec<crate::model::OpSplit>> {
        self.model.profile(Self::input(frame, face)?.0, clock)
    }

    /// The time of the inference alone on `face`, in `clock`'s unit.
    pub fn time_inference(
        &self,
        frame: &Frame,
        face: &Face,
        clock: &mut dyn FnMut() -> f64,
    ) -> Result<f64> {
        let input = Self::input(frame, face)?.0;
        let t0 = clock();
        std::hint::black_box(self.model.run(input)?);
        Ok(clock() - t0)
    }

    /// Landmarks, head pose and face presence for one detected face.
    pub fn estimate(&self, frame: &Frame, face: &Face) -> Result<MeshResult> {
        let (input, map) = Self::input(frame, face)?;
        let out = self.model.run(input)?;
        let (coords, flag) = match out.as_slice() {
            [c, f, ..] if c.len() == LANDMARKS * 3 && !f.is_empty() => (c, f[0]),
            _ => return Err(Error::Model("face mesh: unexpected outputs".into())),
        };
        let depth_scale = map.mean_scale();
        let landmarks: Vec<[f32; 3]> = coords
            .chunks_exact(3)
            .map(|p| {
                let q = map.apply(crate::geometry::Point::new(p[0], p[1]));
                [q.x, q.y, p[2] * depth_scale]
            })
            .collect();
        let pose = head_pose(&landmarks)
            .ok_or_else(|| Error::Model("face mesh: too few landmarks".into()))?;
        Ok(MeshResult {
            face_present: 1.0 / (1.0 + (-flag).exp()),
            pose,
            landmarks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic mesh: cheeks ±50 px, forehead/chin ±60 px, rotated by
    /// `yaw` about the vertical axis then `pitch` about the horizontal one.
    fn mesh(yaw_deg: f32, pitch_deg: f32) -> Vec<[f32; 3]> {
        let (y, p) = (yaw_deg.to_radians(), pitch_deg.to_radians());
        let rot = |v: [f32; 3]| {
            // Yaw: nose (towards −z, the camera) swings to +x for yaw > 0.
            let (x, z) = (
                v[0] * y.cos() - v[2] * y.sin(),
                v[0] * y.sin() + v[2] * y.cos(),
            );
            // Pitch: chin (+y) comes nearer (−z) for pitch > 0.
            let (yy, zz) = (v[1] * p.cos() + z * p.sin(), -v[1] * p.sin() + z * p.cos());
            [x + 200.0, yy + 200.0, zz]
        };
        let mut m = vec![[200.0, 200.0, 0.0]; LANDMARKS];
        m[CHEEK_IMAGE_LEFT] = rot([-50.0, 0.0, 0.0]);
        m[CHEEK_IMAGE_RIGHT] = rot([50.0, 0.0, 0.0]);
        m[FOREHEAD] = rot([0.0, -60.0, 0.0]);
        m[CHIN] = rot([0.0, 60.0, 0.0]);
        m
    }

    #[test]
    fn frontal_face_has_zero_pose() {
        let p = head_pose(&mesh(0.0, 0.0)).unwrap();
        assert!(p.yaw_deg.abs() < 1e-3 && p.pitch_deg.abs() < 1e-3, "{p:?}");
    }

    #[test]
    fn recovers_yaw_and_pitch_with_the_documented_signs() {
        for (yaw, pitch) in [(30.0, 0.0), (-25.0, 0.0), (0.0, 20.0), (0.0, -15.0)] {
            let p = head_pose(&mesh(yaw, pitch)).unwrap();
            assert!((p.yaw_deg - yaw).abs() < 0.5, "{yaw} {pitch}: {p:?}");
            assert!((p.pitch_deg - pitch).abs() < 0.5, "{yaw} {pitch}: {p:?}");
        }
    }

    #[test]
    fn mirroring_flips_yaw() {
        let mut m = mesh(20.0, 5.0);
        for p in &mut m {
            p[0] = 400.0 - p[0];
        }
        // Mirroring also swaps which cheek is on the image's left.
        m.swap(CHEEK_IMAGE_LEFT, CHEEK_IMAGE_RIGHT);
        let p = head_pose(&m).unwrap();
        assert!((p.yaw_deg + 20.0).abs() < 0.5, "{p:?}");
    }

    #[test]
    fn too_few_landmarks_is_none() {
        assert!(head_pose(&[[0.0; 3]; 10]).is_none());
    }
}
