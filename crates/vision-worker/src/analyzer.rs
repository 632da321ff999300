//! What the worker does with a camera frame, as pure Rust: faces (short
//! range every frame, full range every few frames for a second person
//! further back), head pose of each face near the camera, and the frame's
//! mean brightness; and the identity check of two photos.
//!
//! Kept apart from the wasm glue (`glue.rs`) so that it is tested natively
//! on the fixture photographs, with the same models the browser loads. Its
//! analysis is the message type the page receives
//! (`vigil_contracts::vision::FrameAnalysis`), which the app turns into the
//! engine's `FrameAnalysis` for the proctoring rules.
//!
//! Why the full-range detector runs only every [`FULL_RANGE_EVERY`] frames:
//! it costs three times the short-range one, and what it is for (a person
//! sitting behind the candidate) does not come and go within a second. Its
//! faces are carried over to the frames in between, so the rules see them
//! on every frame while they are there, and dropped at its next run. And
//! on those frames it runs only if the scene changed since its last run
//! (a block of a 16 × 12 grid, away from the near faces, whose mean luma
//! moved by more than [`SCENE_CHANGED`]), or [`FULL_RANGE_REFRESH`] frames
//! have passed: a person walking in, or leaving, changes the blocks they
//! cross long before they could sit still behind the candidate, while the
//! empty room behind a candidate sitting still does not change at all.
//! Sensor noise of ±6 levels a pixel moves a block's mean by under 1 level
//! in 255; the near faces (twice their box, for the hair and shoulders)
//! are left out so that the candidate's own head does not count.
//!
//! The face mesh (head pose) runs when the face may have turned, not on
//! every frame: it is the loop's second largest cost, and a candidate
//! mostly sits still. A face keeps the pose measured on the box it
//! overlaps while the detector's central keypoints (eyes, nose, mouth),
//! taken relative to its box, stay within [`MESH_MOVED`] of where they were
//! at that measurement. Turning or tilting the head moves them against the
//! box (25° of yaw: 0.14–0.34 of the box on the fixture photographs), while
//! a still face's jitter (a pixel's shift, noise, light) stays under 0.045.
//! The gate compares with the measurement, not with the previous frame, so
//! a slow turn adds up until it passes. Bounds either way:
//! - a face is measured again at least every [`MESH_REFRESH`] frames, so a
//!   turn too small for the gate is read within that many seconds
//!   (`looking_away` needs 8 s of sustained yaw);
//! - never more often than every [`MESH_EVERY`] frames on the same face
//!   ("looking away" is a matter of seconds, not of one frame);
//! - a face that overlaps no measured box (it appeared, or moved a lot)
//!   gets the mesh at once.

use vigil_contracts::vision::{check_image, FaceObservation, FrameAnalysis, ModelsRan};
use vigil_vision::{Face, FaceDetector, FaceEmbedder, FaceMesh, Frame, Rect};

/// The full-range detector runs at most on one frame in this many.
pub const FULL_RANGE_EVERY: u64 = 5;
/// ... and on one of them at least every this many frames, even if the
/// scene did not change.
pub const FULL_RANGE_REFRESH: u64 = 15;
/// A block of the scene changed when its mean luma moved by more than
/// this many levels (of 255) since the full-range detector's last run.
pub const SCENE_CHANGED: f32 = 10.0;
/// The scene's grid of blocks, columns × rows.
const SCENE_GRID: (usize, usize) = (16, 12);
/// The face mesh runs at most on one frame in this many for the same face.
pub const MESH_EVERY: u64 = 2;
/// A face's pose is measured again after this many frames even if it
/// did not move.
pub const MESH_REFRESH: u64 = 10;
/// How far a central keypoint may move, relative to the face box (0–1 of
/// its width or height), before the pose is measured again.
pub const MESH_MOVED: f32 = 0.05;
/// Head pose is estimated for at most this many faces per frame (the
/// largest): "looking away" only matters when there is one.
pub const MAX_POSED_FACES: usize = 2;
/// Two detections overlapping by more than this are the same face.
const SAME_FACE_IOU: f32 = 0.3;

/// The models of the proctoring loop and what it carries between frames.
pub struct Analyzer {
    short: FaceDetector,
    full: Option<FaceDetector>,
    mesh: Option<FaceMesh>,
    frames: u64,
    /// Faces only the full-range detector found at its last run.
    far: Vec<Face>,
    /// The scene at the full-range detector's last run, with the near
    /// faces then and the frame's number.
    scene: Option<(Scene, Vec<Rect>, u64)>,
    /// The poses carried, each with what it was measured on.
    poses: Vec<Posed>,
    /// What ran on the last frame.
    ran: ModelsRan,
}

/// A head pose and the face it was measured on.
#[derive(Debug, Clone, Copy)]
struct Posed {
    bbox: Rect,
    shape: Shape,
    /// (yaw, pitch) in degrees.
    pose: (f32, f32),
    /// The frame it was measured on.
    frame: u64,
}

/// The central keypoints (eyes, nose, mouth) relative to the face box.
type Shape = [(f32, f32); 4];

fn shape(face: &Face) -> Shape {
    let b = &face.bbox;
    let rel = |i: usize| {
        let p = face.keypoints[i];
        ((p.x - b.x) / b.w.max(1e-6), (p.y - b.y) / b.h.max(1e-6))
    };
    [rel(0), rel(1), rel(2), rel(3)]
}

/// The largest move of a central keypoint between two shapes.
fn moved(a: &Shape, b: &Shape) -> f32 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p.0 - q.0).abs().max((p.1 - q.1).abs()))
        .fold(0.0, f32::max)
}

impl Analyzer {
    /// The short-range detector is required; without the full-range one a
    /// far second face goes unseen, without the mesh no head pose is given
    /// (yaw and pitch read 0).
    pub fn new(short: FaceDetector, full: Option<FaceDetector>, mesh: Option<FaceMesh>) -> Self {
        Analyzer {
            short,
            full,
            mesh,
            frames: 0,
            far: Vec::new(),
            scene: None,
            poses: Vec::new(),
            ran: ModelsRan::default(),
        }
    }

    /// Analyses one frame (frames come in order, about one a second).
    pub fn analyze(&mut self, frame: &Frame) -> vigil_vision::Result<FrameAnalysis> {
        self.analyze_timed(frame, &|| 0.0)
    }

    /// [`Analyzer::analyze`], timing the optional models on `clock` (in
    /// milliseconds) for [`Analyzer::ran`]: the worker passes the
    /// browser's clock, so the benchmark splits the loop's time by model.
    pub fn analyze_timed(
        &mut self,
        frame: &Frame,
        clock: &dyn Fn() -> f64,
    ) -> vigil_vision::Result<FrameAnalysis> {
        let mut ran = ModelsRan::default();
        let mut near = self.short.detect(frame)?;
        near.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
        if let Some(full) = &self.full {
            if self.frames.is_multiple_of(FULL_RANGE_EVERY) {
                let t = clock();
                let now = Scene::of(frame);
                // The near faces with their hair, neck and shoulders: the
                // box twice as wide and tall, about its centre.
                let boxes: Vec<Rect> = near
                    .iter()
                    .map(|f| {
                        let c = f.bbox.center();
                        Rect::from_center(c.x, c.y, 2.0 * f.bbox.w, 2.0 * f.bbox.h)
                    })
                    .collect();
                let due = match &self.scene {
                    None => true,
                    Some((then, then_boxes, at)) => {
                        self.frames - at >= FULL_RANGE_REFRESH || {
                            let mut away = boxes.clone();
                            away.extend_from_slice(then_boxes);
                            now.changed(then, &away, frame.width, frame.height)
                        }
                    }
                };
                if due {
                    self.far = full
                        .detect(frame)?
                        .into_iter()
                        .filter(|f| !overlaps_any(&f.bbox, &near))
                        .collect();
                    self.scene = Some((now, boxes, self.frames));
                    ran.full = true;
                    ran.full_ms = clock() - t;
                }
            }
        }
        let (w, h) = (frame.width as f32, frame.height as f32);
        let mut faces = Vec::with_capacity(near.len() + self.far.len());
        let mut poses = Vec::new();
        for (i, face) in near.iter().enumerate() {
            let pose = match &self.mesh {
                Some(mesh) if i < MAX_POSED_FACES => {
                    let now = shape(face);
                    let posed = match self.carried(&face.bbox, &now) {
                        Some(p) => p,
                        None => {
                            let t = clock();
                            let p = mesh.estimate(frame, face)?.pose;
                            ran.mesh += 1;
                            ran.mesh_ms += clock() - t;
                            Posed {
                                bbox: face.bbox,
                                shape: now,
                                pose: (p.yaw_deg, p.pitch_deg),
                                frame: self.frames,
                            }
                        }
                    };
                    poses.push(posed);
                    Some(posed.pose)
                }
                _ => None,
            };
            faces.push(observation(face, w, h, pose));
        }
        self.poses = poses;
        self.frames += 1;
        self.ran = ran;
        for face in self.far.iter().filter(|f| !overlaps_any(&f.bbox, &near)) {
            faces.push(observation(face, w, h, None));
        }
        Ok(FrameAnalysis {
            faces,
            brightness: mean_brightness(frame),
        })
    }

    /// The pose measured on the box that overlaps `bbox` most, if one
    /// overlaps enough to be the same face and the pose still holds: the
    /// face has not turned since (its keypoints moved less than
    /// [`MESH_MOVED`]) or was measured too recently to run the mesh again,
    /// and not [`MESH_REFRESH`] frames ago.
    fn carried(&self, bbox: &Rect, now: &Shape) -> Option<Posed> {
        let p = self
            .poses
            .iter()
            .map(|p| (p.bbox.iou(bbox), p))
            .filter(|(iou, _)| *iou > SAME_FACE_IOU)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, p)| *p)?;
        let age = self.frames - p.frame;
        let holds = age < MESH_EVERY || moved(&p.shape, now) <= MESH_MOVED;
        (age < MESH_REFRESH && holds).then_some(p)
    }

    /// What ran on the last frame analysed.
    pub fn ran(&self) -> ModelsRan {
        self.ran
    }

    /// The short-range detector (the benchmark's profile).
    pub fn short(&self) -> &FaceDetector {
        &self.short
    }

    /// The full-range detector, if loaded (the benchmark's profile).
    pub fn full(&self) -> Option<&FaceDetector> {
        self.full.as_ref()
    }

    /// The face mesh, if loaded (the benchmark's profile).
    pub fn mesh(&self) -> Option<&FaceMesh> {
        self.mesh.as_ref()
    }

    /// The detector for stills (identity photos): full range when loaded,
    /// since the face on an ID card held to the camera is small.
    pub fn still_detector(&self) -> &FaceDetector {
        self.full.as_ref().unwrap_or(&self.short)
    }
}

/// A frame's mean luma by block ([`SCENE_GRID`]), from every second pixel
/// of every second row: what the full-range detector's gate compares.
#[derive(Debug, Clone, PartialEq)]
struct Scene(Vec<f32>);

impl Scene {
    fn of(frame: &Frame) -> Scene {
        let (w, h) = (frame.width as usize, frame.height as usize);
        let (cols, rows) = SCENE_GRID;
        let mut sum = vec![0u64; cols * rows];
        let mut n = vec![0u64; cols * rows];
        for y in (0..h).step_by(2) {
            let by = y * rows / h;
            let line = &frame.rgba[y * w * 4..(y + 1) * w * 4];
            for (x, px) in line.chunks_exact(4).enumerate().step_by(2) {
                let b = by * cols + x * cols / w;
                sum[b] += 299 * u64::from(px[0]) + 587 * u64::from(px[1]) + 114 * u64::from(px[2]);
                n[b] += 1;
            }
        }
        Scene(
            sum.iter()
                .zip(&n)
                .map(|(&s, &n)| {
                    if n == 0 {
                        0.0
                    } else {
                        s as f32 / (1000.0 * n as f32)
                    }
                })
                .collect(),
        )
    }

    /// Whether a block that no box in `away` (frame pixels) touches moved
    /// by more than [`SCENE_CHANGED`] from `then`.
    fn changed(&self, then: &Scene, away: &[Rect], width: u32, height: u32) -> bool {
        let (cols, rows) = SCENE_GRID;
        let (bw, bh) = (width as f32 / cols as f32, height as f32 / rows as f32);
        (0..cols * rows).any(|b| {
            let block = Rect::new((b % cols) as f32 * bw, (b / cols) as f32 * bh, bw, bh);
            let near = away.iter().any(|r| {
                r.x < block.x + block.w
                    && block.x < r.x + r.w
                    && r.y < block.y + block.h
                    && block.y < r.y + r.h
            });
            !near && (self.0[b] - then.0[b]).abs() > SCENE_CHANGED
        })
    }
}

fn overlaps_any(r: &Rect, faces: &[Face]) -> bool {
    faces.iter().any(|f| f.bbox.iou(r) > SAME_FACE_IOU)
}

/// A detected face as the rules take it: box and keypoints normalised to
/// the frame (0–1), pose in degrees.
fn observation(face: &Face, w: f32, h: f32, pose: Option<(f32, f32)>) -> FaceObservation {
    let (yaw, pitch) = pose.unwrap_or((0.0, 0.0));
    let b = &face.bbox;
    FaceObservation {
        score: round3(face.score),
        bbox: [b.x / w, b.y / h, b.w / w, b.h / h].map(round3),
        landmarks: face
            .keypoints
            .iter()
            .map(|p| [round3(p.x / w), round3(p.y / h)])
            .collect(),
        yaw_deg: round1(yaw),
        pitch_deg: round1(pitch),
    }
}

fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

fn round1(x: f32) -> f64 {
    (f64::from(x) * 10.0).round() / 10.0
}

/// An image of a request as a frame for the models, once its size is
/// checked ([`vigil_contracts::vision::check_image`]: the page sends these
/// numbers, so nothing about them is trusted).
pub fn frame_of(width: u32, height: u32, rgba: &[u8]) -> Result<Frame<'_>, String> {
    check_image(width, height, rgba.len())?;
    Frame::new(width, height, rgba).map_err(|e| e.to_string())
}

/// Mean luma (Rec. 601) of the frame, 0 (black) to 1 (white), over every
/// fourth pixel: plenty for "is the camera covered".
pub fn mean_brightness(frame: &Frame) -> f64 {
    let mut sum = 0u64;
    let mut n = 0u64;
    for px in frame.rgba.chunks_exact(4).step_by(4) {
        let (r, g, b) = (u64::from(px[0]), u64::from(px[1]), u64::from(px[2]));
        sum += 299 * r + 587 * g + 114 * b;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    sum as f64 / (n as f64 * 1000.0 * 255.0)
}

/// The identity check of the ID photo and the face photo: how many faces
/// each shows and, when each shows exactly one, how alike they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdentityMatch {
    pub faces_on_id: usize,
    pub faces_on_photo: usize,
    /// Cosine similarity of the two faces' embeddings (−1 to 1); `None`
    /// unless both photos show exactly one face.
    pub similarity: Option<f32>,
}

/// Compares the face on the ID document with the face photo.
pub fn identity_match(
    detector: &FaceDetector,
    embedder: &FaceEmbedder,
    id: &Frame,
    photo: &Frame,
) -> vigil_vision::Result<IdentityMatch> {
    let on_id = detector.detect(id)?;
    let on_photo = detector.detect(photo)?;
    let similarity = match (on_id.as_slice(), on_photo.as_slice()) {
        ([a], [b]) => {
            let [ea, eb] = embedder.embed_pair((id, a), (photo, b))?;
            Some(ea.similarity(&eb))
        }
        _ => None,
    };
    Ok(IdentityMatch {
        faces_on_id: on_id.len(),
        faces_on_photo: on_photo.len(),
        similarity,
    })
}
