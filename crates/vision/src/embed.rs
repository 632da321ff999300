//! Face embeddings (MobileFaceNet, 192-d) for the ID-photo match.
//!
//! Recognition networks compare faces only if they are cropped as at
//! training time: MobileFaceNet was trained on 112×112 faces aligned to the
//! standard ArcFace five-point template. BlazeFace gives eyes, nose and one
//! mouth point (not two corners), so we fit a least-squares similarity
//! (rotation, scale, shift; no shear) from four template points — both eyes,
//! the nose, and the mean of the two template mouth corners — to the four
//! detected keypoints, and sample the frame through it.
//!
//! The model's batch is fixed at 2 by the converted file. [`FaceEmbedder::embed_pair`]
//! uses both slots (ID photo and live face in one run); [`FaceEmbedder::embed`]
//! duplicates the face.
//!
//! A similarity is a reviewer's aid: it is shown beside the two photographs,
//! never turned into a verdict by itself.

use crate::detector::{Face, Keypoint};
use crate::frame::{to_planar, warp, Frame};
use crate::geometry::{similarity_lstsq, Affine, Point};
use crate::model::Model;
use crate::{Error, Result};

/// Length of an embedding.
pub const EMBEDDING_LEN: usize = 192;
const INPUT: usize = 112;

/// Cosine similarity at or above which two faces are shown as "likely the
/// same person". Measured on the fixtures: obama/obama2 0.79 (same person),
/// obama/biden −0.09 and the other unrelated pairs −0.05 to 0.26; 0.5 sits
/// in the gap. Three people are not a validation set: the figure is a
/// starting point, and the result is only ever shown to a reviewer.
pub const MATCH_THRESHOLD: f32 = 0.5;

/// The ArcFace 112×112 template: the eye on the image's left, the eye on the
/// image's right, nose tip, left and right mouth corners.
pub const ARCFACE_TEMPLATE: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// An L2-normalised face embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(pub Vec<f32>);

/// Cosine similarity in [−1, 1] (a plain dot product for normalised vectors;
/// computed in full so it is right for any vectors). 0 if either is zero.
pub fn cosine_similarity(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

impl Embedding {
    pub fn similarity(&self, other: &Embedding) -> f32 {
        cosine_similarity(&self.0, &other.0)
    }
}

/// The map from the 112×112 aligned crop to the frame for `face`. The
/// person's right eye is on the image's left, as the template's first eye.
pub fn alignment(face: &Face) -> Affine {
    let t = |i: usize| Point::new(ARCFACE_TEMPLATE[i][0], ARCFACE_TEMPLATE[i][1]);
    let mouth = Point::new((t(3).x + t(4).x) / 2.0, (t(3).y + t(4).y) / 2.0);
    let template = [t(0), t(1), t(2), mouth];
    let detected = [
        face.keypoint(Keypoint::RightEye),
        face.keypoint(Keypoint::LeftEye),
        face.keypoint(Keypoint::NoseTip),
        face.keypoint(Keypoint::Mouth),
    ];
    // Degenerate keypoints (all equal) cannot happen for a detected face;
    // fall back to a plain box resize rather than failing.
    similarity_lstsq(&template, &detected).unwrap_or_else(|| {
        let s = face.bbox.w.max(face.bbox.h) / INPUT as f32;
        Affine::scale_translate(s, face.bbox.x, face.bbox.y)
    })
}

/// A loaded MobileFaceNet model.
pub struct FaceEmbedder {
    model: Model,
}

impl FaceEmbedder {
    /// Loads `MobileFaceNet.onnx`, or its conversion (`cargo xtask worker`), from its bytes.
    pub fn from_model_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(FaceEmbedder {
            model: Model::load(bytes, "face embedder", &[2, 3, INPUT, INPUT])?,
        })
    }

    /// The embedding of one face (run as a batch of two identical faces).
    pub fn embed(&self, frame: &Frame, face: &Face) -> Result<Embedding> {
        let [e, _] = self.embed_pair((frame, face), (frame, face))?;
        Ok(e)
    }

    /// The embeddings of two faces in one run (e.g. ID photo and live face).
    pub fn embed_pair(&self, a: (&Frame, &Face), b: (&Frame, &Face)) -> Result<[Embedding; 2]> {
        let mut input = Vec::with_capacity(2 * 3 * INPUT * INPUT);
        for (frame, face) in [a, b] {
            let crop = warp(frame, &alignment(face), INPUT, INPUT)?;
            // (x − 127.5) / 128, the normalisation it was trained with.
            input.extend(to_planar(&crop, 1.0 / 128.0, -127.5 / 128.0));
        }
        let out = self.model.run(input)?;
        let raw = out
            .first()
            .filter(|o| o.len() == 2 * EMBEDDING_LEN)
            .ok_or_else(|| Error::Model("face embedder: expected a 2×192 output".into()))?;
        let norm = |v: &[f32]| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-10);
            Embedding(v.iter().map(|x| x / n).collect())
        };
        Ok([norm(&raw[..EMBEDDING_LEN]), norm(&raw[EMBEDDING_LEN..])])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Rect;

    #[test]
    fn cosine_similarity_basics() {
        assert!((cosine_similarity(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine_similarity(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-6);
        assert!((cosine_similarity(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-6);
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn a_face_at_twice_the_template_aligns_with_scale_two() {
        // Keypoints exactly at 2× the template, shifted by (100, 50).
        let at = |x: f32, y: f32| Point::new(2.0 * x + 100.0, 2.0 * y + 50.0);
        let t = ARCFACE_TEMPLATE;
        let mut keypoints = [Point::default(); 6];
        keypoints[0] = at(t[0][0], t[0][1]);
        keypoints[1] = at(t[1][0], t[1][1]);
        keypoints[2] = at(t[2][0], t[2][1]);
        keypoints[3] = at((t[3][0] + t[4][0]) / 2.0, (t[3][1] + t[4][1]) / 2.0);
        let face = Face {
            score: 1.0,
            bbox: Rect::new(0.0, 0.0, 1.0, 1.0),
            keypoints,
        };
        let m = alignment(&face);
        assert!((m.a - 2.0).abs() < 1e-3 && m.b.abs() < 1e-3 && m.d.abs() < 1e-3);
        assert!(
            (m.c - 100.0).abs() < 1e-2 && (m.f - 50.0).abs() < 1e-2,
            "{m:?}"
        );
    }
}
