//! `vigil-faces`: the face checks on image files, for people and scripts.
//!
//! ```text
//! vigil-faces [--full-range] [--threshold T] [--embed] [--models DIR] IMAGE…
//! vigil-faces --bench N [--models DIR] IMAGE
//! vigil-faces --to-graph OUT_DIR MODEL.onnx…
//! vigil-faces --compare-models OTHER_DIR [--models DIR] IMAGE
//! ```
//!
//! Default: one JSON line per image, `{"image", "width", "height", "faces":
//! [{"score", "bbox": [x, y, w, h], "keypoints": [[x, y] ×6], "yaw", "pitch",
//! "face_present", "embedding"?}]}`, coordinates in the image's pixels.
//! `--bench N` times each model on the image (median and fastest of N runs
//! after 5 warm-up runs). `--compare-models` runs each model of DIR and of
//! OTHER_DIR on the image and fails if any output differs by more than 1e-4
//! (what `cargo xtask models` checks after regenerating the models).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use vigil_vision::{
    compare_models, letterbox, resize, to_planar, warp, Face, FaceDetector, FaceEmbedder, FaceMesh,
    Frame, Range,
};

const USAGE: &str = "usage: vigil-faces [--full-range] [--threshold T] [--embed] [--models DIR] \
[--bench N | --compare-models OTHER_DIR] IMAGE…\n       vigil-faces --to-graph OUT_DIR MODEL.onnx…";
/// Largest output difference accepted between two conversions of a model.
const COMPARE_TOLERANCE: f32 = 1e-4;
const WARM_UP: usize = 5;

type BoxError = Box<dyn std::error::Error>;

struct Args {
    full_range: bool,
    embed: bool,
    threshold: Option<f32>,
    models: PathBuf,
    bench: Option<usize>,
    compare: Option<PathBuf>,
    to_graph: Option<PathBuf>,
    images: Vec<PathBuf>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        full_range: false,
        embed: false,
        threshold: None,
        models: PathBuf::from("static/models"),
        bench: None,
        compare: None,
        to_graph: None,
        images: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--full-range" => a.full_range = true,
            "--embed" => a.embed = true,
            "--threshold" => {
                let t = it.next().and_then(|t| t.parse().ok());
                a.threshold = Some(t.ok_or("--threshold needs a number")?);
            }
            "--models" => a.models = it.next().ok_or("--models needs a directory")?.into(),
            "--bench" => {
                let n = it.next().and_then(|n| n.parse().ok()).filter(|n| *n > 0);
                a.bench = Some(n.ok_or("--bench needs a positive count")?);
            }
            "--compare-models" => {
                a.compare = Some(
                    it.next()
                        .ok_or("--compare-models needs a directory")?
                        .into(),
                )
            }
            "--to-graph" => {
                a.to_graph = Some(it.next().ok_or("--to-graph needs a directory")?.into())
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => a.images.push(arg.into()),
        }
    }
    if a.images.is_empty() {
        return Err(if a.to_graph.is_some() {
            "no model given"
        } else {
            "no image given"
        }
        .into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("vigil-faces: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = if let Some(out) = &args.to_graph {
        to_graph(out, &args.images)
    } else if let Some(other) = &args.compare {
        compare(&args, other)
    } else if let Some(n) = args.bench {
        bench(&args, n)
    } else {
        analyse(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigil-faces: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Image {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Image {
    fn open(path: &Path) -> Result<Self, BoxError> {
        let img = image::open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .to_rgba8();
        Ok(Image {
            width: img.width(),
            height: img.height(),
            rgba: img.into_raw(),
        })
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            width: self.width,
            height: self.height,
            rgba: &self.rgba,
        }
    }
}

fn read_model(dir: &Path, name: &str) -> Result<Vec<u8>, BoxError> {
    let path = dir.join(name);
    Ok(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn detector(dir: &Path, range: Range) -> Result<FaceDetector, BoxError> {
    let file = match range {
        Range::Short => "face_detection_short_range.onnx",
        Range::Full => "face_detection_full_range.onnx",
    };
    Ok(FaceDetector::from_model_bytes(
        &read_model(dir, file)?,
        range,
    )?)
}

/// Pixels to 2 decimals (sub-pixel noise is not information).
fn round(v: f32) -> f64 {
    (v as f64 * 100.0).round() / 100.0
}

/// Probabilities to 4 decimals.
fn round4(v: f32) -> f64 {
    (v as f64 * 1e4).round() / 1e4
}

/// Largest output difference accepted between an ONNX model and its
/// conversion on the check input: the same graph, so the same outputs
/// (rounding aside: ~1e-6 here).
const CONVERSION_TOLERANCE: f32 = 1e-3;

/// Converts each ONNX model to Vigil's model file `OUT/<stem>.graph.gz`
/// (vigil_vision::graph), checked numerically.
fn to_graph(out: &Path, models: &[PathBuf]) -> Result<(), BoxError> {
    std::fs::create_dir_all(out)?;
    for model in models {
        let onnx = std::fs::read(model).map_err(|e| format!("{}: {e}", model.display()))?;
        let (archive, diff) =
            vigil_vision::onnx_to_graph(&onnx).map_err(|e| format!("{}: {e}", model.display()))?;
        if diff.is_nan() || diff > CONVERSION_TOLERANCE {
            return Err(format!(
                "{}: the conversion computes something else (max difference {diff})",
                model.display()
            )
            .into());
        }
        let stem = model
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("model");
        let dest = out.join(format!("{stem}.graph.gz"));
        std::fs::write(&dest, &archive)?;
        println!(
            "{} → {} ({} → {} bytes, max difference {diff:.1e})",
            model.display(),
            dest.display(),
            onnx.len(),
            archive.len()
        );
    }
    Ok(())
}

fn analyse(args: &Args) -> Result<(), BoxError> {
    let range = if args.full_range {
        Range::Full
    } else {
        Range::Short
    };
    let mut det = detector(&args.models, range)?;
    if let Some(t) = args.threshold {
        det.score_threshold = t;
    }
    let mesh = FaceMesh::from_model_bytes(&read_model(&args.models, "face_landmark.onnx")?)?;
    let embedder = if args.embed {
        Some(FaceEmbedder::from_model_bytes(&read_model(
            &args.models,
            "MobileFaceNet.onnx",
        )?)?)
    } else {
        None
    };
    for path in &args.images {
        let img = Image::open(path)?;
        let frame = img.frame();
        let mut faces = Vec::new();
        for face in det.detect(&frame)? {
            let m = mesh.estimate(&frame, &face)?;
            let b = face.bbox;
            let mut v = json!({
                "score": round4(face.score),
                "bbox": [round(b.x), round(b.y), round(b.w), round(b.h)],
                "keypoints": face.keypoints.iter().map(|p| [round(p.x), round(p.y)]).collect::<Vec<_>>(),
                "yaw": round(m.pose.yaw_deg),
                "pitch": round(m.pose.pitch_deg),
                "face_present": round4(m.face_present),
            });
            if let Some(e) = &embedder {
                v["embedding"] = json!(e.embed(&frame, &face)?.0);
            }
            faces.push(v);
        }
        let line = json!({
            "image": path.display().to_string(),
            "width": img.width,
            "height": img.height,
            "faces": faces,
        });
        println!("{line}");
    }
    Ok(())
}

/// Median and fastest time of `n` runs of `f`, in milliseconds.
fn time<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    for _ in 0..WARM_UP {
        std::hint::black_box(f());
    }
    let mut ms: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[n / 2], ms[0])
}

fn bench(args: &Args, n: usize) -> Result<(), BoxError> {
    let img = Image::open(&args.images[0])?;
    let frame = img.frame();
    let short = detector(&args.models, Range::Short)?;
    let full = detector(&args.models, Range::Full)?;
    let mesh = FaceMesh::from_model_bytes(&read_model(&args.models, "face_landmark.onnx")?)?;
    let embedder =
        FaceEmbedder::from_model_bytes(&read_model(&args.models, "MobileFaceNet.onnx")?)?;
    // The mesh and the embedder need a face: the short-range one, else the
    // full-range one (a face too small for short range).
    let face: Face = match short.detect(&frame)?.first() {
        Some(f) => *f,
        None => *full
            .detect(&frame)?
            .first()
            .ok_or("bench: no face in the image")?,
    };
    let report = |name: &str, (median, min): (f64, f64)| {
        println!(
            "{}",
            json!({"model": name, "runs": n, "median_ms": (median * 100.0).round() / 100.0,
                   "min_ms": (min * 100.0).round() / 100.0,
                   "image": format!("{}x{}", img.width, img.height)})
        );
    };
    // Pre-processing alone (letterbox + anti-aliased resize), part of the
    // detectors' figures below.
    for size in [128, 192] {
        let map = letterbox(img.width, img.height, size);
        report(
            &format!("letterbox to {size} (pre-processing only)"),
            time(n, || {
                warp(&frame, &map, size, size).expect("a bench step on a frame that decoded")
            }),
        );
    }
    report(
        "face_detection_short_range",
        time(n, || {
            short
                .detect(&frame)
                .expect("a bench step on a frame that decoded")
        }),
    );
    report(
        "face_detection_full_range",
        time(n, || {
            full.detect(&frame)
                .expect("a bench step on a frame that decoded")
        }),
    );
    report(
        "face_landmark",
        time(n, || {
            mesh.estimate(&frame, &face)
                .expect("a bench step on a frame that decoded")
        }),
    );
    report(
        "MobileFaceNet (pair)",
        time(n, || {
            embedder
                .embed_pair((&frame, &face), (&frame, &face))
                .expect("a bench step on a frame that decoded")
        }),
    );
    Ok(())
}

fn compare(args: &Args, other: &Path) -> Result<(), BoxError> {
    let img = Image::open(&args.images[0])?;
    let frame = img.frame();
    // Each model on the photograph as it would see it: letterboxed for the
    // detectors, resized for the mesh, twice for the two-face embedder.
    let input = |n: usize, scale: f32, offset: f32, letter: bool| -> Result<Vec<f32>, BoxError> {
        let map = if letter {
            letterbox(img.width, img.height, n)
        } else {
            resize(img.width, img.height, n, n)
        };
        Ok(to_planar(&warp(&frame, &map, n, n)?, scale, offset))
    };
    let embed_input = {
        let mut v = input(112, 1.0 / 128.0, -127.5 / 128.0, false)?;
        v.extend_from_within(..);
        v
    };
    let cases: [(&str, Vec<usize>, Vec<f32>); 4] = [
        (
            "face_detection_short_range.onnx",
            vec![1, 3, 128, 128],
            input(128, 1.0 / 127.5, -1.0, true)?,
        ),
        (
            "face_detection_full_range.onnx",
            vec![1, 3, 192, 192],
            input(192, 1.0 / 127.5, -1.0, true)?,
        ),
        (
            "face_landmark.onnx",
            vec![1, 3, 192, 192],
            input(192, 1.0 / 255.0, 0.0, false)?,
        ),
        ("MobileFaceNet.onnx", vec![2, 3, 112, 112], embed_input),
    ];
    let mut failed = Vec::new();
    for (name, shape, data) in cases {
        let diff = compare_models(
            &read_model(&args.models, name)?,
            &read_model(other, name)?,
            &shape,
            data,
        )?;
        let ok = diff <= COMPARE_TOLERANCE;
        println!("{}", json!({"model": name, "max_abs_diff": diff, "ok": ok}));
        if !ok {
            failed.push(name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("outputs differ by more than {COMPARE_TOLERANCE}: {failed:?}").into())
    }
}
