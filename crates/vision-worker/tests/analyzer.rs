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
    identity_match, mean_brightness, Analyzer, FULL_RANGE_EVERY, MESH_EVERY,
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

#[test]
fn a_mirrored_frame_reads_the_mirrored_yaw_at_the_next_mesh_run() {
    let mut a = analyzer();
    let img = webcam(&photo("obama.jpg"), 300, 170, 0);
    let mirrored = imageops::flip_horizontal(&img);
    let measured = |i: &RgbaImage| analyze(&mut analyzer(), i).faces[0].yaw_deg;
    let (yaw, yaw_m) = (measured(&img), measured(&mirrored));
    // Not exactly opposite (the photo is near frontal) but mirror images.
    assert!((yaw + yaw_m).abs() < 3.0, "{yaw} vs {yaw_m}");
    assert!(yaw != yaw_m, "the test needs two different poses");

    assert_eq!(analyze(&mut a, &img).faces[0].yaw_deg, yaw);
    // The next frame is not a mesh frame: the face in the same place keeps
    // the pose just measured.
    assert_eq!(MESH_EVERY, 2);
    assert_eq!(analyze(&mut a, &mirrored).faces[0].yaw_deg, yaw);
    // The one after is: measured again.
    assert_eq!(analyze(&mut a, &mirrored).faces[0].yaw_deg, yaw_m);
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

#[test]
fn a_second_person_far_back_is_seen_by_the_full_range_run_and_carried_over() {
    let mut a = analyzer();
    // The candidate near, a small face (about 1/10 of the width) behind.
    let mut frame = webcam(&photo("astronaut.png"), 360, 40, 40);
    let o = photo("obama.jpg");
    let far = imageops::resize(
        &o,
        150,
        o.height() * 150 / o.width(),
        imageops::FilterType::Triangle,
    );
    imageops::overlay(&mut frame, &far, 470, 40);
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
