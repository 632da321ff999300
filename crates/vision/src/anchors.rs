//! SSD anchor centres for BlazeFace, as MediaPipe's `SsdAnchorsCalculator`
//! makes them.
//!
//! The detector does not output boxes; it outputs, for each anchor, offsets
//! from the anchor's centre. The anchors are not in the model file, so they
//! must be generated exactly as at training time, in the same order, or every
//! box lands in the wrong place. MediaPipe's rule: consecutive layers with
//! the same stride share one feature map; each layer contributes one anchor
//! per aspect ratio (BlazeFace has one, 1.0) plus one "interpolated scale"
//! anchor when `interpolated_scale_aspect_ratio > 0`. The anchors are laid
//! out row by row, all anchors of a cell together. With
//! `fixed_anchor_size` (true for BlazeFace) every anchor is 1×1, so only
//! centres matter and the box size comes straight from the regressor.
//!
//! Short range: 4 layers, strides [8, 16, 16, 16] on 128 px → 16×16 cells ×
//! 2 anchors + 8×8 × 6 = 896. Full range: 1 layer, stride 4 on 192 px, no
//! interpolated anchor → 48×48 × 1 = 2304.

use crate::geometry::Point;

/// The options of MediaPipe's SSD anchor generator that BlazeFace uses.
#[derive(Debug, Clone, PartialEq)]
pub struct AnchorOptions {
    pub input_size: u32,
    pub strides: Vec<u32>,
    /// Centre of a cell, as a fraction of the cell (0.5: the middle).
    pub anchor_offset: f32,
    /// Number of aspect ratios per layer (BlazeFace: 1, ratio 1.0).
    pub aspect_ratios: usize,
    /// Above zero, each layer adds one more anchor (its size is irrelevant
    /// with fixed-size anchors; only its existence shifts the order).
    pub interpolated_scale_aspect_ratio: f32,
}

impl AnchorOptions {
    pub fn short_range() -> Self {
        AnchorOptions {
            input_size: 128,
            strides: vec![8, 16, 16, 16],
            anchor_offset: 0.5,
            aspect_ratios: 1,
            interpolated_scale_aspect_ratio: 1.0,
        }
    }

    pub fn full_range() -> Self {
        AnchorOptions {
            input_size: 192,
            strides: vec![4],
            anchor_offset: 0.5,
            aspect_ratios: 1,
            interpolated_scale_aspect_ratio: 0.0,
        }
    }
}

/// Anchor centres, normalised to the input (0–1), in the model's output order.
pub fn ssd_anchors(o: &AnchorOptions) -> Vec<Point> {
    let mut anchors = Vec::new();
    let mut layer = 0;
    while layer < o.strides.len() {
        let stride = o.strides[layer];
        let mut per_cell = 0;
        let mut last = layer;
        while last < o.strides.len() && o.strides[last] == stride {
            per_cell += o.aspect_ratios;
            if o.interpolated_scale_aspect_ratio > 0.0 {
                per_cell += 1;
            }
            last += 1;
        }
        let cells = o.input_size.div_ceil(stride);
        for y in 0..cells {
            for x in 0..cells {
                let c = Point::new(
                    (x as f32 + o.anchor_offset) / cells as f32,
                    (y as f32 + o.anchor_offset) / cells as f32,
                );
                anchors.extend(std::iter::repeat_n(c, per_cell));
            }
        }
        layer = last;
    }
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_range_has_896_anchors_in_mediapipe_order() {
        let a = ssd_anchors(&AnchorOptions::short_range());
        assert_eq!(a.len(), 16 * 16 * 2 + 8 * 8 * 6);
        assert_eq!(a.len(), 896);
        // First cell of the 16×16 map, twice.
        assert_eq!(a[0], Point::new(0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[1], a[0]);
        // Second cell along x.
        assert_eq!(a[2], Point::new(1.5 / 16.0, 0.5 / 16.0));
        // Last anchor of the 16×16 map, then the 8×8 map, 6 per cell.
        assert_eq!(a[511], Point::new(15.5 / 16.0, 15.5 / 16.0));
        assert_eq!(a[512], Point::new(0.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[517], a[512]);
        assert_eq!(a[518], Point::new(1.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[895], Point::new(7.5 / 8.0, 7.5 / 8.0));
    }

    #[test]
    fn full_range_has_2304_anchors_one_per_cell() {
        let a = ssd_anchors(&AnchorOptions::full_range());
        assert_eq!(a.len(), 48 * 48);
        assert_eq!(a[1], Point::new(1.5 / 48.0, 0.5 / 48.0));
        assert_eq!(a[48], Point::new(0.5 / 48.0, 1.5 / 48.0));
    }
}
