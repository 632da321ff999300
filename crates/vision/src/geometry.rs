//! Points, boxes and 2-D affine maps, in continuous pixel coordinates.
//!
//! Convention used everywhere in the crate: pixel `(i, j)` covers the square
//! `[i, i+1) × [j, j+1)`, so its centre is `(i + 0.5, j + 0.5)`. With that
//! convention, scaling an image is a plain multiplication of coordinates (no
//! half-pixel fix-ups), which keeps the letterbox undo and the crop maps exact.
//!
//! Every pre-processing step (letterbox, resize, crop, face alignment) is one
//! [`Affine`] from the model input's pixels to the source frame's pixels, so
//! mapping the model's outputs back to the frame is `Affine::apply`.

/// A point in pixels (continuous coordinates, see the module header).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }
}

/// An axis-aligned box: top-left corner and size, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Rect { x, y, w, h }
    }

    /// A box from its centre and size (how the detector regresses boxes).
    pub fn from_center(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        Rect::new(cx - w / 2.0, cy - h / 2.0, w, h)
    }

    pub fn center(&self) -> Point {
        Point::new(self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    /// Intersection over union; 0 for disjoint or empty boxes.
    pub fn iou(&self, other: &Rect) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.w).min(other.x + other.w);
        let y1 = (self.y + self.h).min(other.y + other.h);
        let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// Whether the point lies inside the box.
    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.x && p.x <= self.x + self.w && p.y >= self.y && p.y <= self.y + self.h
    }
}

/// `x' = a·x + b·y + c`, `y' = d·x + e·y + f`: maps a model input's pixel
/// coordinates to the source frame's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    pub a: f32,
    pub b: f32,
    pub c: f32,
    pub d: f32,
    pub e: f32,
    pub f: f32,
}

impl Affine {
    pub const IDENTITY: Affine = Affine {
        a: 1.0,
        b: 0.0,
        c: 0.0,
        d: 0.0,
        e: 1.0,
        f: 0.0,
    };

    /// Uniform scale then translation: `p' = s·p + (tx, ty)`.
    pub fn scale_translate(s: f32, tx: f32, ty: f32) -> Self {
        Affine {
            a: s,
            b: 0.0,
            c: tx,
            d: 0.0,
            e: s,
            f: ty,
        }
    }

    pub fn apply(&self, p: Point) -> Point {
        Point::new(
            self.a * p.x + self.b * p.y + self.c,
            self.d * p.x + self.e * p.y + self.f,
        )
    }

    /// How many source pixels one input pixel spans along each axis (the
    /// lengths of the images of the unit vectors). The sampler uses it to
    /// decide how much to average when shrinking.
    pub fn footprint(&self) -> (f32, f32) {
        (self.a.hypot(self.d), self.b.hypot(self.e))
    }

    /// The geometric-mean scale, used to carry lengths (the mesh's depth)
    /// through the map.
    pub fn mean_scale(&self) -> f32 {
        (self.a * self.e - self.b * self.d).abs().sqrt()
    }
}

/// Least-squares similarity transform (rotation, uniform scale, translation;
/// no reflection, no shear) taking `from[i]` as close as possible to `to[i]`.
///
/// Closed form of Umeyama's method for 2-D: with both point sets centred,
/// `x' = a·x − b·y`, `y' = b·x + a·y` is linear in `(a, b)`. A similarity
/// (not a full affine) is what face alignment wants: it cannot distort the
/// face to fit a template, only place it. `None` if fewer than two points or
/// all `from` points coincide.
pub fn similarity_lstsq(from: &[Point], to: &[Point]) -> Option<Affine> {
    let n = from.len().min(to.len());
    if n < 2 {
        return None;
    }
    let nf = n as f32;
    let (mut mfx, mut mfy, mut mtx, mut mty) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        mfx += from[i].x;
        mfy += from[i].y;
        mtx += to[i].x;
        mty += to[i].y;
    }
    (mfx, mfy, mtx, mty) = (mfx / nf, mfy / nf, mtx / nf, mty / nf);
    let (mut num_a, mut num_b, mut den) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (from[i].x - mfx, from[i].y - mfy);
        let (u, v) = (to[i].x - mtx, to[i].y - mty);
        num_a += x * u + y * v;
        num_b += x * v - y * u;
        den += x * x + y * y;
    }
    if den <= f32::EPSILON {
        return None;
    }
    let (a, b) = (num_a / den, num_b / den);
    Some(Affine {
        a,
        b: -b,
        c: mtx - (a * mfx - b * mfy),
        d: b,
        e: a,
        f: mty - (b * mfx + a * mfy),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-3
    }

    #[test]
    fn iou_of_identical_disjoint_and_half_overlapping_boxes() {
        let r = Rect::new(0.0, 0.0, 10.0, 10.0);
        assert!(close(r.iou(&r), 1.0));
        assert_eq!(r.iou(&Rect::new(20.0, 20.0, 5.0, 5.0)), 0.0);
        // Overlap 5×10 = 50, union 150.
        assert!(close(r.iou(&Rect::new(5.0, 0.0, 10.0, 10.0)), 50.0 / 150.0));
        assert_eq!(Rect::default().iou(&Rect::default()), 0.0);
    }

    #[test]
    fn similarity_recovers_a_known_transform() {
        // Rotate 30°, scale 2, translate (5, -3).
        let (s, t) = (2.0f32, 30f32.to_radians());
        let truth = Affine {
            a: s * t.cos(),
            b: -s * t.sin(),
            c: 5.0,
            d: s * t.sin(),
            e: s * t.cos(),
            f: -3.0,
        };
        let from = [
            Point::new(0.0, 0.0),
            Point::new(10.0, 0.0),
            Point::new(3.0, 7.0),
            Point::new(-4.0, 2.0),
        ];
        let to: Vec<Point> = from.iter().map(|p| truth.apply(*p)).collect();
        let got = similarity_lstsq(&from, &to).unwrap();
        for (x, y) in [
            (got.a, truth.a),
            (got.b, truth.b),
            (got.c, truth.c),
            (got.d, truth.d),
            (got.e, truth.e),
            (got.f, truth.f),
        ] {
            assert!(close(x, y), "{got:?} vs {truth:?}");
        }
        assert!(close(got.mean_scale(), 2.0));
    }

    #[test]
    fn similarity_needs_two_distinct_points() {
        let p = Point::new(1.0, 1.0);
        assert!(similarity_lstsq(&[p], &[p]).is_none());
        assert!(similarity_lstsq(&[p, p], &[p, Point::new(2.0, 2.0)]).is_none());
    }
}
