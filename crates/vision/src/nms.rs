//! Weighted non-maximum suppression, as MediaPipe does for BlazeFace.
//!
//! BlazeFace fires on several neighbouring anchors for one face. Plain NMS
//! would keep the single best box, which jitters from frame to frame as the
//! winner changes; the weighted variant replaces each cluster (boxes overlapping
//! the best one by IoU above the threshold) by the score-weighted mean of its
//! boxes and keypoints, which is steadier and more accurate. The cluster
//! keeps the best score, so the threshold on scores means the same before and
//! after.

use crate::detector::Face;
use crate::geometry::{Point, Rect};

/// Clusters `faces` around the best-scoring ones and averages each cluster;
/// the result is sorted by score, best first.
pub fn weighted_nms(mut faces: Vec<Face>, iou_threshold: f32) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !faces.is_empty() {
        let best = faces[0].bbox;
        let (cluster, rest): (Vec<Face>, Vec<Face>) = faces
            .into_iter()
            .partition(|f| f.bbox.iou(&best) > iou_threshold || f.bbox == best);
        faces = rest;
        let total: f32 = cluster.iter().map(|f| f.score).sum();
        let mut bbox = Rect::default();
        let mut keypoints = [Point::default(); 6];
        for f in &cluster {
            let w = f.score / total;
            bbox.x += f.bbox.x * w;
            bbox.y += f.bbox.y * w;
            bbox.w += f.bbox.w * w;
            bbox.h += f.bbox.h * w;
            for (k, p) in keypoints.iter_mut().zip(&f.keypoints) {
                k.x += p.x * w;
                k.y += p.y * w;
            }
        }
        out.push(Face {
            score: cluster[0].score,
            bbox,
            keypoints,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(score: f32, x: f32) -> Face {
        Face {
            score,
            bbox: Rect::new(x, 0.0, 10.0, 10.0),
            keypoints: [Point::new(x, 0.0); 6],
        }
    }

    #[test]
    fn overlapping_boxes_merge_by_score_and_distant_ones_stay() {
        // 0 and 1 overlap (IoU 9/11 > 0.3); 50 is far away.
        let out = weighted_nms(vec![face(0.6, 1.0), face(0.9, 0.0), face(0.7, 50.0)], 0.3);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        let want_x = (0.9 * 0.0 + 0.6 * 1.0) / 1.5;
        assert!((out[0].bbox.x - want_x).abs() < 1e-6);
        assert!((out[0].keypoints[3].x - want_x).abs() < 1e-6);
        assert_eq!(out[1].bbox.x, 50.0);
    }

    #[test]
    fn empty_in_empty_out() {
        assert!(weighted_nms(Vec::new(), 0.3).is_empty());
    }
}
