//! BlazeFace face detection (MediaPipe short and full range).
//!
//! The model takes a square RGB input in [−1, 1] (NCHW after the TFLite →
//! ONNX conversion) and gives, per anchor, 16 regressors and one logit. The
//! frame is letterboxed (padded to a square, never stretched: the model was
//! trained on undistorted faces), the outputs are decoded against the anchors
//! ([`decode`]), clustered ([`weighted_nms`]) and mapped back through the
//! letterbox to the frame's pixels.
//!
//! Regressor layout, all in input pixels: box centre offset from the anchor
//! centre (x, y), box width and height, then six keypoints as offsets from
//! the anchor centre: right eye, left eye, nose tip, mouth centre, right ear
//! tragion, left ear tragion. "Right" is the person's right, which is on the
//! left of an unmirrored photograph.

use crate::anchors::{ssd_anchors, AnchorOptions};
use crate::frame::{letterbox, warp_planar, Frame};
use crate::geometry::{Affine, Point, Rect};
use crate::model::{Kernels, Model};
use crate::nms::weighted_nms;
use crate::Result;

/// Default score threshold of the short-range detector. MediaPipe uses 0.5,
/// but on the fixtures the cat (chelsea.png) scores 0.60 and a whole small
/// astronaut photograph 0.54, while the human faces at a usable size score
/// 0.79–0.95; 0.7 keeps a 0.1 margin over the best non-face. The cost: a
/// face must be about 1/7 of the frame's longer side (see the crate docs).
pub const SHORT_RANGE_THRESHOLD: f32 = 0.7;
/// Default score threshold of the full-range detector (MediaPipe's value).
/// On the fixtures its best non-face scores 0.34 and its faces 0.61–0.95.
pub const FULL_RANGE_THRESHOLD: f32 = 0.6;
/// Boxes overlapping by more than this IoU are one face (MediaPipe's value).
pub const NMS_IOU: f32 = 0.3;
/// Logits are clipped before the sigmoid, as MediaPipe does, so a wild logit
/// cannot overflow.
const LOGIT_CLIP: f32 = 100.0;
const REGRESSORS: usize = 16;

/// Which BlazeFace model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// 128×128, 896 anchors: a face filling a good part of the frame (the
    /// candidate at the desk). Small and fast.
    Short,
    /// 192×192, 2304 anchors: also small faces (someone further back).
    Full,
}

impl Range {
    pub fn input_size(self) -> usize {
        match self {
            Range::Short => 128,
            Range::Full => 192,
        }
    }

    pub fn anchors(self) -> Vec<Point> {
        match self {
            Range::Short => ssd_anchors(&AnchorOptions::short_range()),
            Range::Full => ssd_anchors(&AnchorOptions::full_range()),
        }
    }

    pub fn default_threshold(self) -> f32 {
        match self {
            Range::Short => SHORT_RANGE_THRESHOLD,
            Range::Full => FULL_RANGE_THRESHOLD,
        }
    }
}

/// The six BlazeFace keypoints, in output order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keypoint {
    RightEye = 0,
    LeftEye = 1,
    NoseTip = 2,
    Mouth = 3,
    RightEar = 4,
    LeftEar = 5,
}

/// One detected face, in the frame's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// Probability-like confidence, 0–1.
    pub score: f32,
    pub bbox: Rect,
    /// Indexed by [`Keypoint`].
    pub keypoints: [Point; 6],
}

impl Face {
    pub fn keypoint(&self, k: Keypoint) -> Point {
        self.keypoints[k as usize]
    }

    /// The face as seen through `map` (input pixels → frame pixels). Boxes
    /// stay axis-aligned, which is exact for the letterbox (scale and shift).
    pub fn mapped(&self, map: &Affine) -> Face {
        let a = map.apply(Point::new(self.bbox.x, self.bbox.y));
        let b = map.apply(Point::new(
            self.bbox.x + self.bbox.w,
            self.bbox.y + self.bbox.h,
        ));
        Face {
            score: self.score,
            bbox: Rect::new(
                a.x.min(b.x),
                a.y.min(b.y),
                (b.x - a.x).abs(),
                (b.y - a.y).abs(),
            ),
            keypoints: self.keypoints.map(|p| map.apply(p)),
        }
    }
}

/// Decodes raw outputs (`regressors`: anchors × 16, `logits`: anchors) into
/// the faces scoring at least `threshold`, in input pixels (before NMS).
pub fn decode(
    regressors: &[f32],
    logits: &[f32],
    anchors: &[Point],
    input_size: usize,
    threshold: f32,
) -> Vec<Face> {
    let n = input_size as f32;
    let mut faces = Vec::new();
    for (i, anchor) in anchors.iter().enumerate() {
        let Some(&logit) = logits.get(i) else { break };
        let score = 1.0 / (1.0 + (-logit.clamp(-LOGIT_CLIP, LOGIT_CLIP)).exp());
        if score < threshold {
            continue;
        }
        let Some(r) = regressors.get(i * REGRESSORS..(i + 1) * REGRESSORS) else {
            break;
        };
        let (ax, ay) = (anchor.x * n, anchor.y * n);
        let bbox = Rect::from_center(ax + r[0], ay + r[1], r[2], r[3]);
        let keypoints = std::array::from_fn(|k| Point::new(ax + r[4 + 2 * k], ay + r[5 + 2 * k]));
        faces.push(Face {
            score,
            bbox,
            keypoints,
        });
    }
    faces
}

/// A loaded BlazeFace model with its anchors and thresholds.
pub struct FaceDetector {
    model: Model,
    range: Range,
    anchors: Vec<Point>,
    /// Faces scoring below this are dropped (default per [`Range`]).
    pub score_threshold: f32,
    /// IoU above which two boxes are one face.
    pub iou_threshold: f32,
}

impl FaceDetector {
    /// Loads `face_detection_short_range.onnx` ([`Range::Short`]) or
    /// `face_detection_full_range.onnx` ([`Range::Full`]), or their
    /// conversions (`cargo xtask worker`), from its bytes.
    pub fn from_model_bytes(bytes: &[u8], range: Range) -> Result<Self> {
        Self::from_model_bytes_with(bytes, range, Kernels::default())
    }

    /// The same, with the convolutions run by `kernels` (the benchmark
    /// loads the model a second time with tract's own, to compare).
    pub fn from_model_bytes_with(bytes: &[u8], range: Range, kernels: Kernels) -> Result<Self> {
        let n = range.input_size();
        let model = Model::load_with(bytes, "face detector", &[1, 3, n, n], kernels)?;
        Ok(FaceDetector {
            model,
            range,
            anchors: range.anchors(),
            score_threshold: range.default_threshold(),
            iou_threshold: NMS_IOU,
        })
    }

    pub fn range(&self) -> Range {
        self.range
    }

    /// The model's inference on `frame` split by operator kind (see
    /// [`crate::model`]): time per kind in `clock`'s unit, largest first.
    pub fn profile_inference(
        &self,
        frame: &Frame,
        clock: &mut dyn FnMut() -> f64,
    ) -> Result<Vec<crate::model::OpSplit>> {
        self.model.profile(self.preprocess(frame)?, clock)
    }

    /// The model's input for `frame`: letterboxed to its square input,
    /// planar floats in [−1, 1] (x / 127.5 − 1).
    pub fn preprocess(&self, frame: &Frame) -> Result<Vec<f32>> {
        let n = self.range.input_size();
        let map = letterbox(frame.width, frame.height, n);
        warp_planar(frame, &map, n, n, 1.0 / 127.5, -1.0)
    }

    /// The time of the model's inference alone on `frame`, in `clock`'s
    /// unit: the input is prepared first and the outputs are not decoded,
    /// so a benchmark can set it beside another engine's inference alone.
    pub fn time_inference(&self, frame: &Frame, clock: &mut dyn FnMut() -> f64) -> Result<f64> {
        let input = self.preprocess(frame)?;
        let t0 = clock();
        std::hint::black_box(self.model.run(input)?);
        Ok(clock() - t0)
    }

    /// The model's raw outputs on `frame` (regressors, logits), before
    /// decoding: what the benchmark compares between two kernel sets.
    pub fn raw_outputs(&self, frame: &Frame) -> Result<Vec<Vec<f32>>> {
        self.model.run(self.preprocess(frame)?)
    }

    /// The faces in `frame`, best first, in the frame's pixels.
    pub fn detect(&self, frame: &Frame) -> Result<Vec<Face>> {
        let n = self.range.input_size();
        let map = letterbox(frame.width, frame.height, n);
        let out = self.model.run(self.preprocess(frame)?)?;
        let (regressors, logits) = match out.as_slice() {
            [r, l, ..] => (r, l),
            _ => {
                return Err(crate::Error::Model(
                    "face detector: expected 2 outputs".into(),
                ))
            }
        };
        let faces = decode(regressors, logits, &self.anchors, n, self.score_threshold);
        Ok(weighted_nms(faces, self.iou_threshold)
            .iter()
            .map(|f| f.mapped(&map))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_places_boxes_and_keypoints_relative_to_anchors() {
        let anchors = Range::Short.anchors();
        let mut reg = vec![0.0; anchors.len() * REGRESSORS];
        let mut logits = vec![-10.0; anchors.len()];
        // Anchor 2 is centred at (1.5/16, 0.5/16) × 128 = (12, 4).
        logits[2] = 2.0;
        reg[2 * 16..3 * 16].copy_from_slice(&[
            1.0, -1.0, 20.0, 10.0, // box centre (13, 3), 20×10
            -5.0, 0.0, 5.0, 0.0, 0.0, 2.0, 0.0, 6.0, -9.0, 0.0, 9.0, 0.0,
        ]);
        let faces = decode(&reg, &logits, &anchors, 128, 0.5);
        assert_eq!(faces.len(), 1);
        let f = faces[0];
        assert!((f.score - 1.0 / (1.0 + (-2.0f32).exp())).abs() < 1e-6);
        assert_eq!(f.bbox, Rect::new(3.0, -2.0, 20.0, 10.0));
        assert_eq!(f.keypoint(Keypoint::RightEye), Point::new(7.0, 4.0));
        assert_eq!(f.keypoint(Keypoint::Mouth), Point::new(12.0, 10.0));
        assert_eq!(f.keypoint(Keypoint::LeftEar), Point::new(21.0, 4.0));
    }

    #[test]
    fn decode_clips_logits_and_applies_the_threshold() {
        let anchors = Range::Full.anchors();
        let reg = vec![0.0; anchors.len() * REGRESSORS];
        let mut logits = vec![0.0; anchors.len()]; // score 0.5 each
        logits[7] = 1e30;
        let faces = decode(&reg, &logits, &anchors, 192, 0.6);
        assert_eq!(faces.len(), 1);
        assert_eq!(faces[0].score, 1.0);
        assert_eq!(
            decode(&reg, &logits, &anchors, 192, 0.5).len(),
            anchors.len()
        );
    }

    #[test]
    fn mapping_through_the_letterbox_returns_to_frame_pixels() {
        // A 256×128 frame in a 128 input: scale 2, 64 rows of padding above.
        let map = letterbox(256, 128, 128);
        let f = Face {
            score: 0.9,
            bbox: Rect::new(10.0, 40.0, 20.0, 30.0),
            keypoints: [Point::new(64.0, 64.0); 6],
        };
        let m = f.mapped(&map);
        assert_eq!(m.bbox, Rect::new(20.0, 16.0, 40.0, 60.0));
        assert_eq!(m.keypoints[0], Point::new(128.0, 64.0));
    }
}
