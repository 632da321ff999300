//! Frames and the pre-processing that turns them into model inputs.
//!
//! A [`Frame`] borrows RGBA bytes, the layout a canvas `ImageData` and a
//! decoded photograph both give, so the worker passes camera pixels without a
//! copy. Every model input is made the same way: an [`Affine`] from the
//! input's pixels to the frame's (built by [`letterbox`], [`resize`] or
//! [`crop_square`], or by face alignment), then [`warp`] samples the frame
//! through it, then [`to_planar`] normalises into the NCHW tensor layout
//! ([`warp_planar`] does both at once, the same sums, for the per-frame
//! inputs). One sampler for all of them means one place to get sampling
//! right.
//!
//! Sampling is bilinear; when the map shrinks (a 1280×720 frame into 128×128)
//! each output pixel averages a grid of bilinear taps over its footprint, so
//! the small input is not aliased (plain bilinear would pick 1 pixel in 10 and
//! the detector would see noise on textured clothes and backgrounds).
//! Outside the frame the sampler returns black, which is the letterbox
//! padding MediaPipe uses.

use crate::geometry::{Affine, Point, Rect};
use crate::{Error, Result};

/// An RGBA frame of any size (alpha is ignored).
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub width: u32,
    pub height: u32,
    pub rgba: &'a [u8],
}

impl<'a> Frame<'a> {
    /// Checks that `rgba` holds exactly `width × height` pixels.
    pub fn new(width: u32, height: u32, rgba: &'a [u8]) -> Result<Self> {
        let expected = width as usize * height as usize * 4;
        if width == 0 || height == 0 {
            return Err(Error::Frame(format!("empty frame {width}×{height}")));
        }
        if rgba.len() != expected {
            return Err(Error::Frame(format!(
                "{width}×{height} needs {expected} RGBA bytes, got {}",
                rgba.len()
            )));
        }
        Ok(Frame {
            width,
            height,
            rgba,
        })
    }

    fn check(&self) -> Result<()> {
        Frame::new(self.width, self.height, self.rgba).map(|_| ())
    }

    fn texel(&self, x: usize, y: usize) -> [f32; 3] {
        let i = (y * self.width as usize + x) * 4;
        let p = &self.rgba[i..i + 3];
        [p[0] as f32, p[1] as f32, p[2] as f32]
    }

    /// Bilinear sample at a continuous point (pixel centres at `i + 0.5`).
    /// Points outside the frame are black; inside, the edge pixels are
    /// extended so the last half pixel is not darkened by the padding.
    pub fn bilinear(&self, p: Point) -> [f32; 3] {
        let (w, h) = (self.width as f32, self.height as f32);
        if !(p.x >= 0.0 && p.x < w && p.y >= 0.0 && p.y < h) {
            return [0.0; 3];
        }
        let fx = (p.x - 0.5).clamp(0.0, w - 1.0);
        let fy = (p.y - 0.5).clamp(0.0, h - 1.0);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let x1 = (x0 + 1).min(self.width as usize - 1);
        let y1 = (y0 + 1).min(self.height as usize - 1);
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let (p00, p10) = (self.texel(x0, y0), self.texel(x1, y0));
        let (p01, p11) = (self.texel(x0, y1), self.texel(x1, y1));
        let mut out = [0.0; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * tx;
            let bottom = p01[c] + (p11[c] - p01[c]) * tx;
            out[c] = top + (bottom - top) * ty;
        }
        out
    }
}

/// An RGB image of `f32` samples in 0–255, row-major, what [`warp`] makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Rgb {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<[f32; 3]>,
}

/// Most taps per axis when shrinking: 8×8 covers a 1080p frame into the
/// 128-px detector (factor 15) well enough, and bounds the cost.
const MAX_TAPS: usize = 8;

/// Samples `frame` into a `width × height` image: output pixel centre `q`
/// takes the frame's colour at `map.apply(q)`, averaged over the pixel's
/// footprint when the map shrinks.
pub fn warp(frame: &Frame, map: &Affine, width: usize, height: usize) -> Result<Rgb> {
    frame.check()?;
    let (taps_x, taps_y) = taps(map);
    if map.b == 0.0 && map.d == 0.0 {
        let planes = planes_axis_aligned(frame, map, width, height, taps_x, taps_y);
        let n = width * height;
        let pixels = (0..n)
            .map(|i| [planes[i], planes[n + i], planes[2 * n + i]])
            .collect();
        return Ok(Rgb {
            width,
            height,
            pixels,
        });
    }
    let weight = 1.0 / (taps_x * taps_y) as f32;
    let mut pixels = Vec::with_capacity(width * height);
    for v in 0..height {
        for u in 0..width {
            let mut acc = [0.0f32; 3];
            for j in 0..taps_y {
                let qy = v as f32 + (j as f32 + 0.5) / taps_y as f32;
                for i in 0..taps_x {
                    let qx = u as f32 + (i as f32 + 0.5) / taps_x as f32;
                    let s = frame.bilinear(map.apply(Point::new(qx, qy)));
                    for c in 0..3 {
                        acc[c] += s[c];
                    }
                }
            }
            pixels.push(acc.map(|a| a * weight));
        }
    }
    Ok(Rgb {
        width,
        height,
        pixels,
    })
}

/// Bilinear taps per axis over an output pixel's footprint under `map`.
fn taps(map: &Affine) -> (usize, usize) {
    let (sx, sy) = map.footprint();
    (
        (sx.ceil() as usize).clamp(1, MAX_TAPS),
        (sy.ceil() as usize).clamp(1, MAX_TAPS),
    )
}

/// For each output index along one axis, the source indices and weights
/// that the averaged bilinear taps amount to (`x' = scale·x + offset`).
/// Taps outside the source add nothing (black) but still count in the
/// average, exactly as [`Frame::bilinear`] does.
fn axis_kernel(
    scale: f32,
    offset: f32,
    out_len: usize,
    src_len: usize,
    taps: usize,
) -> Vec<Vec<(usize, f32)>> {
    let n = src_len as f32;
    (0..out_len)
        .map(|u| {
            let mut k: Vec<(usize, f32)> = Vec::with_capacity(taps + 1);
            let mut add = |i: usize, w: f32| match k.last_mut() {
                Some(last) if last.0 == i => last.1 += w,
                _ => k.push((i, w)),
            };
            for i in 0..taps {
                let x = scale * (u as f32 + (i as f32 + 0.5) / taps as f32) + offset;
                if !(x >= 0.0 && x < n) {
                    continue;
                }
                let f = (x - 0.5).clamp(0.0, n - 1.0);
                let x0 = f.floor() as usize;
                let t = f - x0 as f32;
                add(x0, (1.0 - t) / taps as f32);
                add((x0 + 1).min(src_len - 1), t / taps as f32);
            }
            k
        })
        .collect()
}

/// [`warp`] for maps without rotation (letterbox, resize, crop: every
/// detector and mesh input), as three planes of 0–255 samples. The tap
/// average is then separable, so it is done as a horizontal pass over the
/// source rows used and a vertical pass: the same result as the general
/// path, about ten times faster on a 720p frame, which matters in the
/// browser where it runs on every sampled frame. Planes, not interleaved
/// pixels, because that is what the models take: each source row used is
/// filtered once into three channel rows, and the vertical pass adds whole
/// rows into each plane, a loop the compiler vectorises.
fn planes_axis_aligned(
    frame: &Frame,
    map: &Affine,
    width: usize,
    height: usize,
    taps_x: usize,
    taps_y: usize,
) -> Vec<f32> {
    let (fw, fh) = (frame.width as usize, frame.height as usize);
    let kx = axis_kernel(map.a, map.c, width, fw, taps_x);
    let ky = axis_kernel(map.e, map.f, height, fh, taps_y);
    // Horizontal pass: each source row used, once, as three channel rows
    // at `slot[y]` in `rows`.
    let stride = 3 * width;
    let mut slot = vec![usize::MAX; fh];
    let mut rows: Vec<f32> = Vec::new();
    for &(y, _) in ky.iter().flatten() {
        if slot[y] != usize::MAX {
            continue;
        }
        slot[y] = rows.len();
        rows.resize(rows.len() + stride, 0.0);
        let line = &frame.rgba[y * fw * 4..(y + 1) * fw * 4];
        let (r, rest) = rows[slot[y]..].split_at_mut(width);
        let (g, b) = rest.split_at_mut(width);
        for (u, k) in kx.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for &(x, w) in k {
                let p = &line[x * 4..x * 4 + 3];
                for c in 0..3 {
                    acc[c] += w * p[c] as f32;
                }
            }
            (r[u], g[u], b[u]) = (acc[0], acc[1], acc[2]);
        }
    }
    // Vertical pass, plane by plane, whole rows at a time.
    let n = width * height;
    let mut out = vec![0.0f32; 3 * n];
    for (v, k) in ky.iter().enumerate() {
        for &(y, w) in k {
            let src = &rows[slot[y]..slot[y] + stride];
            for c in 0..3 {
                let dst = &mut out[c * n + v * width..c * n + (v + 1) * width];
                for (o, x) in dst.iter_mut().zip(&src[c * width..(c + 1) * width]) {
                    *o += w * x;
                }
            }
        }
    }
    out
}

/// [`warp`] then [`to_planar`], as one step: what every model input is.
/// For maps without rotation it is the separable pass's planes scaled in
/// place, with no interleaved image and no transposing copy in between
/// (15–20 % of the short-range detector's pre-processing natively); the
/// samples are the same as `warp`'s.
pub fn warp_planar(
    frame: &Frame,
    map: &Affine,
    width: usize,
    height: usize,
    scale: f32,
    offset: f32,
) -> Result<Vec<f32>> {
    frame.check()?;
    if map.b != 0.0 || map.d != 0.0 {
        return Ok(to_planar(&warp(frame, map, width, height)?, scale, offset));
    }
    let (taps_x, taps_y) = taps(map);
    let mut planes = planes_axis_aligned(frame, map, width, height, taps_x, taps_y);
    for x in &mut planes {
        *x = *x * scale + offset;
    }
    Ok(planes)
}

/// The NCHW (channel-planar) layout the converted models take, each sample
/// mapped to `value · scale + offset` (e.g. `1/127.5, −1` for [−1, 1]).
pub fn to_planar(img: &Rgb, scale: f32, offset: f32) -> Vec<f32> {
    let n = img.width * img.height;
    let mut out = vec![0.0; 3 * n];
    for (i, p) in img.pixels.iter().enumerate() {
        for c in 0..3 {
            out[c * n + i] = p[c] * scale + offset;
        }
    }
    out
}

/// Letterbox a `width × height` frame into a square `size × size` input: the
/// frame is centred in a square of side `max(width, height)` padded with
/// black, then scaled. Aspect ratio is kept, so faces are not squashed (the
/// detector was trained on square crops). Returns the input → frame map.
pub fn letterbox(width: u32, height: u32, size: usize) -> Affine {
    let side = width.max(height) as f32;
    let s = side / size as f32;
    Affine::scale_translate(s, (width as f32 - side) / 2.0, (height as f32 - side) / 2.0)
}

/// Plain resize of a `width × height` frame to `out_w × out_h` (aspect ratio
/// not kept). Returns the input → frame map.
pub fn resize(width: u32, height: u32, out_w: usize, out_h: usize) -> Affine {
    Affine {
        a: width as f32 / out_w as f32,
        b: 0.0,
        c: 0.0,
        d: 0.0,
        e: height as f32 / out_h as f32,
        f: 0.0,
    }
}

/// A square crop centred on `rect`, of side `factor × max(w, h)`, scaled to
/// `size × size` (what the face mesh takes: the face with a margin).
/// Returns the input → frame map and the square in frame pixels.
pub fn crop_square(rect: &Rect, factor: f32, size: usize) -> (Affine, Rect) {
    let c = rect.center();
    let side = rect.w.max(rect.h) * factor;
    let square = Rect::from_center(c.x, c.y, side, side);
    (
        Affine::scale_translate(side / size as f32, square.x, square.y),
        square,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame whose red channel is the column index and green the row.
    fn ramp(w: u32, h: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for y in 0..h {
            for x in 0..w {
                v.extend_from_slice(&[x as u8, y as u8, 7, 255]);
            }
        }
        v
    }

    #[test]
    fn frame_checks_its_size() {
        let px = vec![0u8; 4 * 6];
        assert!(Frame::new(3, 2, &px).is_ok());
        assert!(Frame::new(2, 2, &px).is_err());
        assert!(Frame::new(0, 6, &[]).is_err());
    }

    /// A frame of pseudo-random colours.
    fn noise(w: u32, h: u32) -> Vec<u8> {
        let mut x = 0x9e37_79b9u32;
        (0..w * h * 4)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn warp_planar_is_warp_then_to_planar_exactly() {
        let px = noise(320, 240);
        let f = Frame::new(320, 240, &px).unwrap();
        let big = noise(1280, 720);
        let hd = Frame::new(1280, 720, &big).unwrap();
        let face = Rect::new(100.0, 40.0, 90.0, 110.0);
        // Off the frame's edge: the crop is partly black.
        let edge = Rect::new(270.0, -20.0, 80.0, 80.0);
        let rotated = Affine {
            a: 0.8,
            b: 0.3,
            c: 10.0,
            d: -0.3,
            e: 0.8,
            f: 40.0,
        };
        let cases: [(Frame, Affine, usize, usize); 7] = [
            (f, letterbox(320, 240, 128), 128, 128),
            (f, letterbox(320, 240, 192), 192, 192),
            (hd, letterbox(1280, 720, 128), 128, 128),
            (f, crop_square(&face, 1.5, 192).0, 192, 192),
            (f, crop_square(&edge, 1.5, 192).0, 192, 192),
            (f, resize(320, 240, 100, 37), 100, 37),
            (f, rotated, 112, 112),
        ];
        for (i, (frame, map, w, h)) in cases.into_iter().enumerate() {
            for (scale, offset) in [(1.0 / 127.5, -1.0), (1.0 / 255.0, 0.0)] {
                let want = to_planar(&warp(&frame, &map, w, h).unwrap(), scale, offset);
                let got = warp_planar(&frame, &map, w, h, scale, offset).unwrap();
                assert_eq!(got, want, "case {i}");
            }
        }
    }

    #[test]
    fn identity_warp_copies_the_frame() {
        let px = ramp(5, 4);
        let f = Frame::new(5, 4, &px).unwrap();
        let out = warp(&f, &Affine::IDENTITY, 5, 4).unwrap();
        for y in 0..4 {
            for x in 0..5 {
                assert_eq!(out.pixels[y * 5 + x], [x as f32, y as f32, 7.0]);
            }
        }
    }

    #[test]
    fn bilinear_interpolates_between_centres_and_pads_outside() {
        let px = ramp(4, 4);
        let f = Frame::new(4, 4, &px).unwrap();
        // Halfway between the centres of columns 1 and 2.
        let s = f.bilinear(Point::new(2.0, 1.5));
        assert!((s[0] - 1.5).abs() < 1e-6 && (s[1] - 1.0).abs() < 1e-6);
        // The outer half pixel repeats the edge; beyond is black padding.
        assert_eq!(f.bilinear(Point::new(0.1, 0.1))[2], 7.0);
        assert_eq!(f.bilinear(Point::new(-0.1, 1.0)), [0.0; 3]);
        assert_eq!(f.bilinear(Point::new(4.0, 1.0)), [0.0; 3]);
    }

    #[test]
    fn halving_resize_averages_blocks() {
        // Columns 0..8: pixel pairs (0,1), (2,3)… average to 0.5, 2.5…
        let px = ramp(8, 8);
        let f = Frame::new(8, 8, &px).unwrap();
        let out = warp(&f, &resize(8, 8, 4, 4), 4, 4).unwrap();
        for (u, want) in [0.5, 2.5, 4.5, 6.5].iter().enumerate() {
            assert!((out.pixels[u][0] - want).abs() < 1e-4, "{:?}", out.pixels);
        }
    }

    #[test]
    fn strong_shrink_does_not_alias_a_stripe_pattern() {
        // Alternating black and white columns shrunk 8×: a point sampler
        // would see all black or all white; the footprint average is grey.
        let (w, h) = (64u32, 8u32);
        let mut px = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                let v = if x % 2 == 0 { 0 } else { 255 };
                px.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let f = Frame::new(w, h, &px).unwrap();
        let out = warp(&f, &resize(w, h, 8, 1), 8, 1).unwrap();
        for p in &out.pixels {
            assert!((p[0] - 127.5).abs() < 1.0, "{p:?}");
        }
    }

    #[test]
    fn letterbox_centres_a_wide_frame_and_pads_black() {
        // 8×4 white frame into 4×4: scale 2, rows 0 and 3 are padding.
        let px = vec![255u8; 8 * 4 * 4];
        let f = Frame::new(8, 4, &px).unwrap();
        let map = letterbox(8, 4, 4);
        assert_eq!(map, Affine::scale_translate(2.0, 0.0, -2.0));
        let out = warp(&f, &map, 4, 4).unwrap();
        let rows: Vec<f32> = (0..4).map(|y| out.pixels[y * 4 + 1][0]).collect();
        assert_eq!(rows, vec![0.0, 255.0, 255.0, 0.0]);
        // Undoing the letterbox: input (0, 1) is the frame's top-left corner.
        assert_eq!(map.apply(Point::new(0.0, 1.0)), Point::new(0.0, 0.0));
        assert_eq!(map.apply(Point::new(4.0, 3.0)), Point::new(8.0, 4.0));
    }

    #[test]
    fn crop_square_takes_a_margin_around_the_box() {
        // Centre (30, 40), side 1.5 × 40 = 60, into a 30-px input (scale 2).
        let (map, sq) = crop_square(&Rect::new(10.0, 30.0, 40.0, 20.0), 1.5, 30);
        assert_eq!(sq, Rect::new(0.0, 10.0, 60.0, 60.0));
        assert_eq!(map.apply(Point::new(15.0, 15.0)), Point::new(30.0, 40.0));
        assert_eq!(map.apply(Point::new(0.0, 0.0)), Point::new(0.0, 10.0));
    }

    #[test]
    fn the_separable_path_matches_the_general_sampler() {
        // A textured 37×23 frame, sampled through maps that shrink, enlarge,
        // pad and mirror; each compared with the general (per-tap bilinear)
        // path, reached by a rotation too small to change any sample.
        let mut px = Vec::new();
        for y in 0..23u32 {
            for x in 0..37u32 {
                px.extend_from_slice(&[
                    (x * 7 + y * 3) as u8,
                    (x * x + y) as u8,
                    (y * 11) as u8,
                    255,
                ]);
            }
        }
        let f = Frame::new(37, 23, &px).unwrap();
        let maps = [
            letterbox(37, 23, 8),
            letterbox(37, 23, 64),
            crop_square(&Rect::new(-5.0, 10.0, 20.0, 30.0), 1.5, 16).0,
            Affine {
                a: -2.5,
                c: 36.0,
                ..Affine::scale_translate(2.5, 0.0, 0.0)
            },
        ];
        for map in maps {
            let fast = warp(&f, &map, 16, 12).unwrap();
            let slow = warp(&f, &Affine { b: 1e-12, ..map }, 16, 12).unwrap();
            for (a, b) in fast.pixels.iter().zip(&slow.pixels) {
                for c in 0..3 {
                    assert!((a[c] - b[c]).abs() < 1e-2, "{map:?}: {a:?} vs {b:?}");
                }
            }
        }
    }

    #[test]
    fn planar_layout_and_normalisation() {
        let img = Rgb {
            width: 2,
            height: 1,
            pixels: vec![[0.0, 127.5, 255.0], [255.0, 0.0, 0.0]],
        };
        let t = to_planar(&img, 1.0 / 127.5, -1.0);
        assert_eq!(t, vec![-1.0, 1.0, 0.0, -1.0, 1.0, -1.0]);
    }
}
