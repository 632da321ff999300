//! The worker's analysis on the fixture photographs with the committed
//! models: what the proctoring rules will receive for a face, no face, two
//! faces (one far), a covered camera; and the identity check.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use image::{imageops, Rgba, RgbaImage};
use vigil_contracts::vision::FrameAnalysis;
use vigil_vision::{FaceDetector, FaceEmbedder, FaceMesh, Frame, Range, MATCH_THRESHOLD};
use vigil_vision_worker::analyzer::{
    identity_match, mean_brightness, Analyzer, FULL_RANGE_EVERY, FULL_RANGE_REFRESH, MESH_EVERY,
    MESH_MOVED, MESH_REFRESH,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model(name: &str) -> Vec<u8> {
    std::fs::read(root().join("static/models").join(name)).unwrap()
}

fn short() -> FaceDetector {
    FaceDetector::from_model_bytes(&model("face_detection_short_range.onnx"), Range::Short).unwrap()
}

fn full() -> FaceDetector {
    FaceDetector::from_model_bytes(&model("face_detection_full_range.onnx"), Range::Full).unwrap()
}

fn analyzer() -> Analyzer {
    let mesh = FaceMesh::from_model_bytes(&model("face_landmark.onnx")).unwrap();
    Analyzer::new(short(), Some(full()), Some(mesh))
}

fn photo(name: &str) -> RgbaImage {
    image::open(root().join("tests/fixtures/faces").join(name))
        .unwrap()
        .to_rgba8()
}

fn f(i: &RgbaImage) -> Frame<'_> {
    Frame::new(i.width(), i.height(), i.as_raw()).unwrap()
}

/// The analysis of one frame as the proctoring rules take it: sent as
/// JSON, read as the engine's `FrameAnalysis`.
fn analyze(a: &mut Analyzer, img: &RgbaImage) -> vigil_exam::FrameAnalysis {
    let sent = a.analyze(&f(img)).unwrap();
    serde_json::from_str(&serde_json::to_string(&sent).unwrap()).unwrap()
}

/// A 640×480 "webcam frame": grey, with `img` scaled to `size` px wide at (x, y).
fn webcam(img: &RgbaImage, size: u32, x: i64, y: i64) -> RgbaImage {
    let mut canvas = RgbaImage::from_pixel(640, 480, Rgba([128, 128, 128, 255]));
    let h = img.height() * size / img.width();
    let small = imageops::resize(img, size, h, imageops::FilterType::Triangle);
    imageops::overlay(&mut canvas, &small, x, y);
    canvas
}

#[test]
fn a_candidate_at_the_desk_is_one_frontal_face_in_normalised_coordinates() {
    let mut a = analyzer();
    let frame = webcam(&photo("astronaut.png"), 400, 120, 20);
    let got = analyze(&mut a, &frame);
    assert_eq!(got.faces_over(0.6), 1, "{got:?}");
    let face = &got.faces[0];
    // The box is normalised to the frame: inside it, where the face was put.
    let [x, y, w, h] = face.bbox;
    assert!(
        (0.0..1.0).contains(&x) && (0.0..1.0).contains(&y),
        "{face:?}"
    );
    assert!(x + w <= 1.0 && y + h <= 1.0 && w > 0.1, "{face:?}");
    assert_eq!(face.landmarks.len(), 6);
    // Frontal: well inside the default looking-away limits.
    assert!(face.yaw_deg.abs() < 15.0, "{face:?}");
    assert!(face.pitch_deg.abs() < 20.0, "{face:?}");
    assert!(got.brightness > 0.2 && got.brightness < 0.8, "{got:?}");
}

#[test]
fn an_empty_desk_has_no_face_and_a_covered_camera_is_dark() {
    let mut a = analyzer();
    let empty = webcam(&photo("coffee.png"), 500, 70, 0);
    let got = analyze(&mut a, &empty);
    assert_eq!(got.faces.len(), 0, "{got:?}");

    let covered = RgbaImage::from_pixel(640, 480, Rgba([6, 5, 4, 255]));
    let got = analyze(&mut a, &covered);
    assert!(got.brightness < 0.08, "{got:?}");
    assert!(got.faces.is_empty());
}

/// The frame a webcam gives of `name` at 300 px wide, and the same with
/// the photograph mirrored about the face's centre: the head in the same
/// place, turned the other way by twice its yaw.
fn turned(name: &str) -> (RgbaImage, RgbaImage) {
    let p = photo(name);
    let img = webcam(&p, 300, 170, 20);
    let [x, _, w, _] = analyze(&mut analyzer(), &img).faces[0].bbox;
    // The centre, 640 · (x + w/2) in the frame, is 170 + c in the photo;
    // mirrored it is at 300 − c, so the photo goes at 170 + 2c − 300.
    let c = 640.0 * (x + w / 2.0) - 170.0;
    let at = (170.0 + 2.0 * c - 300.0).round() as i64;
    (img, webcam(&imageops::flip_horizontal(&p), 300, at, 20))
}

#[test]
fn a_head_that_turns_is_measured_again_at_the_next_frame_the_mesh_may_run() {
    // obama2 turns about 13° one way, biden 12° the other: mirrored, the
    // head has turned by about 25°.
    for name in ["obama2.jpg", "biden.jpg"] {
        let (img, mirrored) = turned(name);
        let measured = |i: &RgbaImage| analyze(&mut analyzer(), i).faces[0].yaw_deg;
        let (yaw, yaw_m) = (measured(&img), measured(&mirrored));
        assert!((yaw - yaw_m).abs() > 20.0, "{name}: {yaw} vs {yaw_m}");

        let mut a = analyzer();
        assert_eq!(analyze(&mut a, &img).faces[0].yaw_deg, yaw);
        assert_eq!(a.ran().mesh, 1);
        // The next frame is too soon after the measurement: the pose is
        // carried even though the head turned.
        assert_eq!(MESH_EVERY, 2);
        assert_eq!(analyze(&mut a, &mirrored).faces[0].yaw_deg, yaw, "{name}");
        assert_eq!(a.ran().mesh, 0);
        // The one after: the keypoints have moved, the mesh runs.
        assert_eq!(analyze(&mut a, &mirrored).faces[0].yaw_deg, yaw_m, "{name}");
        assert_eq!(a.ran().mesh, 1);
        // And the head turning back is seen as well.
        analyze(&mut a, &img);
        assert_eq!(analyze(&mut a, &img).faces[0].yaw_deg, yaw, "{name}");
        assert_eq!(a.ran().mesh, 1);
    }
}

#[test]
fn a_still_face_keeps_its_pose_and_is_measured_again_every_refresh() {
    let (img, _) = turned("obama2.jpg");
    let mut a = analyzer();
    let yaw = analyze(&mut a, &img).faces[0].yaw_deg;
    let mut runs = vec![a.ran().mesh];
    for _ in 1..=2 * MESH_REFRESH {
        assert_eq!(analyze(&mut a, &img).faces[0].yaw_deg, yaw);
        runs.push(a.ran().mesh);
    }
    let at: Vec<u64> = (0..)
        .zip(runs)
        .filter(|(_, n)| *n > 0)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at, [0, MESH_REFRESH, 2 * MESH_REFRESH]);
}

#[test]
fn a_camera_jitter_does_not_run_the_mesh_again() {
    // A pixel or three of shift, sensor noise, a change of light: the
    // keypoints jitter by up to 0.045 of the box on these photos, under
    // MESH_MOVED, and the pose (within 1.3° of the still's on all of them)
    // is carried.
    for name in ["obama.jpg", "obama2.jpg", "biden.jpg"] {
        let p = photo(name);
        let base = webcam(&p, 300, 170, 20);
        let mut bright = base.clone();
        bright
            .pixels_mut()
            .for_each(|px| px.0[..3].iter_mut().for_each(|c| *c = c.saturating_add(25)));
        let mut noisy = base.clone();
        let mut seed = 1u32;
        noisy.pixels_mut().for_each(|px| {
            for c in &mut px.0[..3] {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let n = i32::from((seed >> 24) as u8 % 13) - 6;
                *c = (i32::from(*c) + n).clamp(0, 255) as u8;
            }
        });
        let frames = [
            webcam(&p, 300, 171, 21),
            webcam(&p, 300, 173, 17),
            bright,
            noisy,
            webcam(&p, 300, 170, 20),
        ];
        let mut a = analyzer();
        analyze(&mut a, &base);
        for (i, f) in frames.iter().enumerate() {
            analyze(&mut a, f);
            assert_eq!(a.ran().mesh, 0, "{name}, frame {i}");
        }
    }
    assert_eq!(MESH_MOVED, 0.05);
}

#[test]
fn a_face_that_moved_is_measured_between_mesh_runs() {
    let mut a = analyzer();
    let img = webcam(&photo("obama.jpg"), 300, 0, 0);
    // Mirrored, the face is on the other side of the frame: no box
    // overlaps it, so it is measured at once rather than given a stale pose.
    let moved = imageops::flip_horizontal(&img);
    let fresh = analyze(&mut analyzer(), &moved).faces[0].yaw_deg;
    let yaw = analyze(&mut a, &img).faces[0].yaw_deg;
    assert!(yaw != fresh, "the test needs two different poses");
    assert_eq!(analyze(&mut a, &moved).faces[0].yaw_deg, fresh);
}

/// `desk` with a small face (about 1/10 of the width) behind, on the right.
fn with_someone_behind(desk: &RgbaImage) -> RgbaImage {
    let mut frame = desk.clone();
    let o = photo("obama.jpg");
    let far = imageops::resize(
        &o,
        150,
        o.height() * 150 / o.width(),
        imageops::FilterType::Triangle,
    );
    imageops::overlay(&mut frame, &far, 470, 40);
    frame
}

#[test]
fn a_second_person_far_back_is_seen_by_the_full_range_run_and_carried_over() {
    let mut a = analyzer();
    let frame = with_someone_behind(&webcam(&photo("astronaut.png"), 360, 40, 40));
    // Frame 0 runs both detectors; the following ones carry the far face.
    for i in 0..FULL_RANGE_EVERY {
        let got = analyze(&mut a, &frame);
        assert_eq!(got.faces_over(0.6), 2, "frame {i}: {got:?}");
    }
    // The person leaves: gone at the next full-range run at the latest.
    let alone = webcam(&photo("astronaut.png"), 360, 40, 40);
    let got = analyze(&mut a, &alone);
    assert_eq!(got.faces_over(0.6), 1, "{got:?}");
}

/// The frames (from 0) on which the full-range detector ran.
fn full_runs(a: &mut Analyzer, frames: impl IntoIterator<Item = RgbaImage>) -> Vec<u64> {
    let mut runs = Vec::new();
    for (i, img) in (0..).zip(frames) {
        analyze(a, &img);
        if a.ran().full {
            runs.push(i);
        }
    }
    runs
}

/// `img` with ±6 levels of pseudo-random noise on each channel.
fn noisy(img: &RgbaImage, seed: u32) -> RgbaImage {
    let mut out = img.clone();
    let mut s = seed;
    out.pixels_mut().for_each(|px| {
        for c in &mut px.0[..3] {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let n = i32::from((s >> 24) as u8 % 13) - 6;
            *c = (i32::from(*c) + n).clamp(0, 255) as u8;
        }
    });
    out
}

#[test]
fn a_still_scene_runs_the_full_range_only_at_each_refresh() {
    let desk = webcam(&photo("astronaut.png"), 360, 40, 40);
    // Each frame with its own sensor noise: still no change.
    let frames = (0..=2 * FULL_RANGE_REFRESH as u32).map(|i| noisy(&desk, i + 1));
    let runs = full_runs(&mut analyzer(), frames);
    assert_eq!(runs, [0, FULL_RANGE_REFRESH, 2 * FULL_RANGE_REFRESH]);
}

#[test]
fn a_person_walking_in_behind_is_seen_at_the_next_full_range_frame() {
    let mut a = analyzer();
    let alone = webcam(&photo("astronaut.png"), 360, 40, 40);
    let two = with_someone_behind(&alone);
    // Alone for 7 frames (a run at 0, none at 5: nothing changed), then
    // the person: seen at frame 10, the next frame the detector may run.
    for i in 0..7 {
        let got = analyze(&mut a, &alone);
        assert_eq!(a.ran().full, i == 0, "frame {i}");
        assert_eq!(got.faces_over(0.6), 1, "frame {i}: {got:?}");
    }
    for i in 7..10 {
        assert_eq!(analyze(&mut a, &two).faces_over(0.6), 1, "frame {i}");
    }
    let got = analyze(&mut a, &two);
    assert!(a.ran().full);
    assert_eq!(got.faces_over(0.6), 2, "frame 10: {got:?}");
    // Seated behind, still: carried, not run again before the refresh.
    for i in 11..10 + FULL_RANGE_REFRESH {
        assert_eq!(analyze(&mut a, &two).faces_over(0.6), 2, "frame {i}");
        assert!(!a.ran().full, "frame {i}");
    }
    // A change of light is a change of scene too.
    let mut dim = two.clone();
    dim.pixels_mut().for_each(|px| {
        px.0[..3]
            .iter_mut()
            .for_each(|c| *c = (*c as f32 * 0.8) as u8)
    });
    let runs = full_runs(&mut a, std::iter::repeat_n(dim, FULL_RANGE_EVERY as usize));
    assert_eq!(runs.len(), 1, "{runs:?}");
}

#[test]
fn mean_brightness_runs_from_black_to_white() {
    let black = vec![0u8; 64 * 48 * 4];
    let white = vec![255u8; 64 * 48 * 4];
    let b = mean_brightness(&Frame::new(64, 48, &black).unwrap());
    let w = mean_brightness(&Frame::new(64, 48, &white).unwrap());
    assert!(b.abs() < 1e-9 && (w - 1.0).abs() < 1e-9, "{b} {w}");
}

#[test]
fn the_identity_check_counts_faces_and_compares_same_and_other_person() {
    let det = full();
    let emb = FaceEmbedder::from_model_bytes(&model("MobileFaceNet.onnx")).unwrap();
    let (o1, o2, bi) = (photo("obama.jpg"), photo("obama2.jpg"), photo("biden.jpg"));
    let same = identity_match(&det, &emb, &f(&o1), &f(&o2)).unwrap();
    assert_eq!((same.faces_on_id, same.faces_on_photo), (1, 1));
    assert!(same.similarity.unwrap() > MATCH_THRESHOLD, "{same:?}");
    let other = identity_match(&det, &emb, &f(&o1), &f(&bi)).unwrap();
    assert!(other.similarity.unwrap() < MATCH_THRESHOLD, "{other:?}");
    // No face on the "ID": counted, nothing compared.
    let coffee = photo("coffee.png");
    let none = identity_match(&det, &emb, &f(&coffee), &f(&o1)).unwrap();
    assert_eq!((none.faces_on_id, none.similarity), (0, None));
}

/// The message the page receives reads as the engine's `FrameAnalysis`
/// (the app converts one into the other field by field).
#[test]
fn the_analysis_reads_as_the_engines() {
    let mut a = analyzer();
    let frame = webcam(&photo("astronaut.png"), 400, 120, 20);
    let sent: FrameAnalysis = a.analyze(&f(&frame)).unwrap();
    assert!(!sent.faces.is_empty());
    let json = serde_json::to_string(&sent).unwrap();
    let engine: vigil_exam::FrameAnalysis = serde_json::from_str(&json).unwrap();
    assert_eq!(engine.brightness, sent.brightness);
    assert_eq!(engine.faces.len(), sent.faces.len());
    for (e, s) in engine.faces.iter().zip(&sent.faces) {
        assert_eq!(
            (e.score, e.bbox, &e.landmarks, e.yaw_deg, e.pitch_deg),
            (s.score, s.bbox, &s.landmarks, s.yaw_deg, s.pitch_deg)
        );
    }
}

#[test]
fn the_engine_reads_the_match_threshold_of_the_model() {
    assert_eq!(
        vigil_exam::FACE_MATCH_THRESHOLD,
        f64::from(MATCH_THRESHOLD),
        "vigil_exam::FACE_MATCH_THRESHOLD must follow vigil_vision::MATCH_THRESHOLD"
    );
}

#[test]
fn the_worker_is_told_which_models_ran_and_how_long_each_took() {
    // A clock that ticks one millisecond each time it is read.
    let ticks = std::cell::Cell::new(0.0);
    let clock = || {
        ticks.set(ticks.get() + 1.0);
        ticks.get()
    };
    let (img, _) = turned("obama2.jpg");
    let mut a = analyzer();
    a.analyze_timed(&f(&img), &clock).unwrap();
    let ran = a.ran();
    assert!(ran.full && ran.mesh == 1, "{ran:?}");
    assert_eq!((ran.full_ms, ran.mesh_ms), (1.0, 1.0));
    a.analyze_timed(&f(&img), &clock).unwrap();
    assert_eq!(a.ran(), Default::default());
    // Without a clock, what ran is still said (the still scene's refresh).
    for _ in 2..FULL_RANGE_REFRESH {
        a.analyze(&f(&img)).unwrap();
        assert!(!a.ran().full);
    }
    a.analyze(&f(&img)).unwrap();
    let ran = a.ran();
    assert!(ran.full && ran.mesh == 0 && ran.full_ms == 0.0, "{ran:?}");
}
