//! The vision worker's messages on the wire: each one as a JSON literal, so
//! a renamed or retyped field fails here. Requests are shown with their
//! pixels as a JSON array (`P = Vec<u8>`) and as the page and the worker
//! serialize them (`P = ()`, the arrays travelling beside the JSON).

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use std::fmt::Debug;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_contracts::vision::{
    FaceCount, FaceObservation, Failure, FrameAnalysis, FrameDone, FrameRequest, IdentityDone,
    IdentityRequest, Image, Models, ModelsRan, OpTime, PixelPath, ProfileDone, ProfileRequest,
    ProfiledModel, Reply, Request, RequestHeader, REQUEST_KINDS,
};

/// `value` serializes to exactly `json`, and `json` reads back as `value`.
fn round_trip<'a, T>(value: T, json: &'a str)
where
    T: Serialize + Deserialize<'a> + PartialEq + Debug,
{
    assert_eq!(serde_json::to_string(&value).unwrap(), json);
    assert_eq!(serde_json::from_str::<T>(json).unwrap(), value);
}

const PIXEL: [u8; 4] = [10, 20, 30, 255];

fn frame<P>(id: f64, data: P) -> FrameRequest<P> {
    FrameRequest {
        id,
        width: 1,
        height: 1,
        data,
    }
}

fn identity<P: Clone>(data: P) -> IdentityRequest<P> {
    IdentityRequest {
        id: 4.0,
        embedder: "/vision/models/MobileFaceNet.graph.gz".into(),
        id_photo: Image {
            width: 1,
            height: 1,
            data: data.clone(),
        },
        face_photo: Image {
            width: 1,
            height: 1,
            data,
        },
    }
}

fn profile<P>(data: P, runs: Option<u32>) -> ProfileRequest<P> {
    ProfileRequest {
        id: 0.25,
        width: 1,
        height: 1,
        data,
        runs,
        baseline: None,
        model: ProfiledModel::Short,
    }
}

/// One request of each kind, with its pixels as bytes.
fn requests() -> Vec<Request<Vec<u8>>> {
    vec![
        Request::Init(Models {
            short: "/s".into(),
            full: Some("/f".into()),
            mesh: None,
        }),
        Request::Frame(frame(1.0, PIXEL.to_vec())),
        Request::Faces(frame(2.0, PIXEL.to_vec())),
        Request::Identity(IdentityRequest {
            id_photo: Image {
                width: 1,
                height: 1,
                data: vec![1, 1, 1, 255],
            },
            ..identity(vec![2, 2, 2, 255])
        }),
        Request::Profile(profile(PIXEL.to_vec(), Some(30))),
    ]
}

#[test]
fn init_names_the_models_and_the_optional_ones_may_be_left_out() {
    round_trip(
        Request::<()>::Init(Models {
            short: "/vision/models/face_detection_short_range.graph.gz".into(),
            full: Some("/vision/models/face_detection_full_range.graph.gz".into()),
            mesh: Some("/vision/models/face_landmark.graph.gz".into()),
        }),
        r#"{"type":"init","short":"/vision/models/face_detection_short_range.graph.gz","full":"/vision/models/face_detection_full_range.graph.gz","mesh":"/vision/models/face_landmark.graph.gz"}"#,
    );
    // What the benchmark page sends: the short-range detector only.
    round_trip(
        Request::<()>::Init(Models {
            short: "/s".into(),
            full: None,
            mesh: None,
        }),
        r#"{"type":"init","short":"/s"}"#,
    );
}

#[test]
fn frame_and_faces_carry_one_image_beside_the_id() {
    round_trip(
        Request::Frame(frame(1.0, PIXEL.to_vec())),
        r#"{"type":"frame","id":1.0,"width":1,"height":1,"data":[10,20,30,255]}"#,
    );
    round_trip(
        Request::Faces(frame(2.0, PIXEL.to_vec())),
        r#"{"type":"faces","id":2.0,"width":1,"height":1,"data":[10,20,30,255]}"#,
    );
    // As the page serializes it before putting the array in, and as the
    // worker reads it once the array is taken out.
    round_trip(
        Request::Frame(frame(7.0, ())),
        r#"{"type":"frame","id":7.0,"width":1,"height":1,"data":null}"#,
    );
    // The benchmark's ids are fractions; integers read too.
    round_trip(
        Request::Frame(frame(0.625, ())),
        r#"{"type":"frame","id":0.625,"width":1,"height":1,"data":null}"#,
    );
    let r: Request<()> =
        serde_json::from_str(r#"{"type":"faces","id":3,"width":1,"height":1,"data":null}"#)
            .unwrap();
    assert_eq!(r, Request::Faces(frame(3.0, ())));
    assert_eq!(
        frame(1.0, ()).image(),
        Image {
            width: 1,
            height: 1,
            data: ()
        }
    );
}

#[test]
fn identity_carries_two_images() {
    round_trip(
        Request::Identity(identity(PIXEL.to_vec())),
        r#"{"type":"identity","id":4.0,"embedder":"/vision/models/MobileFaceNet.graph.gz","id_photo":{"width":1,"height":1,"data":[10,20,30,255]},"face_photo":{"width":1,"height":1,"data":[10,20,30,255]}}"#,
    );
    round_trip(
        Request::Identity(identity(())),
        r#"{"type":"identity","id":4.0,"embedder":"/vision/models/MobileFaceNet.graph.gz","id_photo":{"width":1,"height":1,"data":null},"face_photo":{"width":1,"height":1,"data":null}}"#,
    );
}

#[test]
fn profile_may_say_how_many_runs() {
    round_trip(
        Request::Profile(profile(PIXEL.to_vec(), Some(30))),
        r#"{"type":"profile","id":0.25,"width":1,"height":1,"data":[10,20,30,255],"runs":30}"#,
    );
    round_trip(
        Request::Profile(profile((), None)),
        r#"{"type":"profile","id":0.25,"width":1,"height":1,"data":null}"#,
    );
    // Another model of the loop, by name; a name the worker does not have
    // is an error that says which are.
    round_trip(
        Request::Profile(ProfileRequest {
            model: ProfiledModel::Mesh,
            ..profile((), None)
        }),
        r#"{"type":"profile","id":0.25,"width":1,"height":1,"data":null,"model":"mesh"}"#,
    );
    let err = serde_json::from_str::<ProfileRequest<()>>(
        r#"{"id":0.25,"width":1,"height":1,"data":null,"model":"eyes"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("unknown variant `eyes`, expected one of `short`, `full`, `mesh`"),
        "{err}"
    );
}

#[test]
fn a_request_names_its_type_and_id() {
    for r in requests() {
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["type"], r.kind(), "{v}");
        assert_eq!(v.get("id").and_then(Value::as_f64), r.id(), "{v}");
        let h: RequestHeader = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(h.kind.as_deref(), Some(r.kind()));
        assert_eq!(h.id, r.id());
        assert_eq!(h.is_init(), matches!(r, Request::Init(_)));
    }
    let kinds: Vec<_> = requests().iter().map(Request::kind).collect();
    assert_eq!(kinds, REQUEST_KINDS);
}

#[test]
fn from_kind_reads_what_the_tagged_enum_reads() {
    for r in requests() {
        let json = serde_json::to_string(&r).unwrap();
        let h: RequestHeader = serde_json::from_str(&json).unwrap();
        let read: Request<Vec<u8>> = Request::from_kind(
            h.kind.as_deref().unwrap(),
            &mut serde_json::Deserializer::from_str(&json),
        )
        .unwrap();
        assert_eq!(read, r);
        assert_eq!(serde_json::from_str::<Request<Vec<u8>>>(&json).unwrap(), r);
    }
    // What the worker reads: the pixels left out.
    let json = r#"{"type":"faces","id":2,"width":320,"height":240,"data":null}"#;
    let read: Request<()> =
        Request::from_kind("faces", &mut serde_json::Deserializer::from_str(json)).unwrap();
    assert_eq!(
        read,
        Request::Faces(FrameRequest {
            id: 2.0,
            width: 320,
            height: 240,
            data: ()
        })
    );
    let unknown = Request::<()>::from_kind("zap", &mut serde_json::Deserializer::from_str(r#"{}"#));
    assert!(unknown
        .unwrap_err()
        .to_string()
        .contains("unknown variant `zap`"));
    let missing = Request::<()>::from_kind(
        "init",
        &mut serde_json::Deserializer::from_str(r#"{"type":"init"}"#),
    );
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("missing field `short`"));
}

/// How many arrays of numbers `v` holds, at any depth (in a request: its
/// pixel arrays).
fn pixel_arrays(v: &Value) -> usize {
    match v {
        Value::Array(a) if a.iter().all(Value::is_number) => 1,
        Value::Array(a) => a.iter().map(pixel_arrays).sum(),
        Value::Object(o) => o.values().map(pixel_arrays).sum(),
        _ => 0,
    }
}

#[test]
fn map_pixels_names_where_each_array_sits_in_the_request() {
    for r in requests() {
        let v = serde_json::to_value(&r).unwrap();
        let mut seen: Vec<(PixelPath, Vec<u8>)> = Vec::new();
        let header: Request<()> = r
            .clone()
            .map_pixels(|path, data| {
                seen.push((path, data));
                Ok::<_, ()>(())
            })
            .unwrap();
        // Every pixel array of the JSON form is named once, at its place.
        assert_eq!(seen.len(), pixel_arrays(&v), "{v}");
        for (path, data) in &seen {
            let at = format!("/{}", path.join("/"));
            assert_eq!(
                v.pointer(&at),
                Some(&serde_json::json!(data)),
                "{at} in {v}"
            );
        }
        // Put back in the same order, the request is the same.
        let mut back = seen.into_iter().map(|(_, d)| d);
        let again = header
            .map_pixels(|_, ()| back.next().ok_or("too few"))
            .unwrap();
        assert_eq!(again, r);
    }
    // The ID photo comes first, then the face photo.
    let mut order = Vec::new();
    let _ = Request::Identity(identity(()))
        .map_pixels(|path, ()| {
            order.push(path.join("."));
            Ok::<_, ()>(())
        })
        .unwrap();
    assert_eq!(order, ["id_photo.data", "face_photo.data"]);
    // An error from `f` stops the mapping.
    let failed: Result<Request<u8>, &str> =
        Request::Frame(frame(1.0, ())).map_pixels(|_, ()| Err("no array"));
    assert_eq!(failed, Err("no array"));
}

#[test]
fn a_request_that_is_not_one_still_gives_its_type_and_id() {
    let h: RequestHeader = serde_json::from_str(r#"{"type":"zap","id":4,"x":[1]}"#).unwrap();
    assert_eq!(
        h,
        RequestHeader {
            kind: Some("zap".into()),
            id: Some(4.0)
        }
    );
    let h: RequestHeader = serde_json::from_str("{}").unwrap();
    assert_eq!(h, RequestHeader::default());
    assert!(serde_json::from_str::<Request<()>>(r#"{"type":"zap","id":4}"#).is_err());
}

#[test]
fn the_start_up_messages() {
    round_trip(Reply::Loaded, r#"{"type":"loaded"}"#);
    round_trip(
        Reply::Ready {
            load_ms: 812.5,
            lanes: String::new(),
        },
        r#"{"type":"ready","load_ms":812.5}"#,
    );
    // Also what the worker's entry script posts when the wasm fails.
    round_trip(
        Reply::Failed {
            error: "wasm: TypeError".into(),
        },
        r#"{"type":"failed","error":"wasm: TypeError"}"#,
    );
    for r in [
        Reply::Loaded,
        Reply::Ready {
            load_ms: 1.0,
            lanes: String::new(),
        },
        Reply::Failed { error: "x".into() },
    ] {
        assert_eq!(r.id(), None);
    }
}

#[test]
fn a_frames_analysis_and_the_workers_time() {
    let done = Reply::Frame(FrameDone {
        id: 1.0,
        analysis: FrameAnalysis {
            faces: vec![FaceObservation {
                score: 0.93,
                bbox: [0.25, 0.125, 0.5, 0.625],
                landmarks: vec![[0.375, 0.25], [0.625, 0.25]],
                yaw_deg: -12.5,
                pitch_deg: 3.0,
            }],
            brightness: 0.45,
        },
        ms: 8.75,
        ran: ModelsRan {
            full: true,
            mesh: 1,
            full_ms: 30.5,
            mesh_ms: 9.25,
        },
    });
    round_trip(
        done.clone(),
        r#"{"type":"frame","id":1.0,"analysis":{"faces":[{"score":0.93,"bbox":[0.25,0.125,0.5,0.625],"landmarks":[[0.375,0.25],[0.625,0.25]],"yaw_deg":-12.5,"pitch_deg":3.0}],"brightness":0.45},"ms":8.75,"ran":{"full":true,"mesh":1,"full_ms":30.5,"mesh_ms":9.25}}"#,
    );
    assert_eq!(done.id(), Some(1.0));
    // Landmarks may be left out (as the engine's FaceObservation allows).
    let face: FaceObservation = serde_json::from_str(
        r#"{"score":0.8,"bbox":[0.0,0.0,1.0,1.0],"yaw_deg":0.0,"pitch_deg":0.0}"#,
    )
    .unwrap();
    assert!(face.landmarks.is_empty());
    round_trip(
        Reply::Frame(FrameDone {
            id: 2.0,
            analysis: FrameAnalysis {
                faces: vec![],
                brightness: 0.0,
            },
            ms: 0.5,
            ran: ModelsRan::default(),
        }),
        r#"{"type":"frame","id":2.0,"analysis":{"faces":[],"brightness":0.0},"ms":0.5,"ran":{"full":false,"mesh":0,"full_ms":0.0,"mesh_ms":0.0}}"#,
    );
    // A worker that does not say what ran: nothing optional did.
    let old: Reply = serde_json::from_str(
        r#"{"type":"frame","id":3.0,"analysis":{"faces":[],"brightness":0.0},"ms":0.5}"#,
    )
    .unwrap();
    let Reply::Frame(old) = old else {
        panic!("{old:?}")
    };
    assert_eq!(old.ran, ModelsRan::default());
}

#[test]
fn a_face_count() {
    round_trip(
        Reply::Faces(FaceCount { id: 3.0, count: 2 }),
        r#"{"type":"faces","id":3.0,"count":2}"#,
    );
}

#[test]
fn an_identity_check_with_and_without_a_similarity() {
    round_trip(
        Reply::Identity(IdentityDone {
            id: 4.0,
            faces_on_id: 1,
            faces_on_photo: 1,
            similarity: Some(0.8123),
        }),
        r#"{"type":"identity","id":4.0,"faces_on_id":1,"faces_on_photo":1,"similarity":0.8123}"#,
    );
    round_trip(
        Reply::Identity(IdentityDone {
            id: 5.0,
            faces_on_id: 0,
            faces_on_photo: 2,
            similarity: None,
        }),
        r#"{"type":"identity","id":5.0,"faces_on_id":0,"faces_on_photo":2,"similarity":null}"#,
    );
}

#[test]
fn the_benchmarks_profile() {
    round_trip(
        Reply::Profile(ProfileDone {
            id: 0.25,
            model: ProfiledModel::Full,
            preprocess_ms: 0.5,
            detect_ms: 8.5,
            detect_p90_ms: 9.0,
            infer_ms: 7.5,
            infer_p90_ms: 8.0,
            tract_infer_ms: Some(9.5),
            tract_infer_p90_ms: Some(10.0),
            tract_max_diff: Some(2.5e-5),
            lanes: "wasm simd128".into(),
            runs: 30,
            ops: vec![
                OpTime {
                    op: "OptMatMul".into(),
                    ms: 4.5,
                    nodes: 4,
                },
                OpTime {
                    op: "DepthWise".into(),
                    ms: 2.25,
                    nodes: 16,
                },
            ],
        }),
        r#"{"type":"profile","id":0.25,"model":"full","preprocess_ms":0.5,"detect_ms":8.5,"detect_p90_ms":9.0,"infer_ms":7.5,"infer_p90_ms":8.0,"tract_infer_ms":9.5,"tract_infer_p90_ms":10.0,"tract_max_diff":0.000025,"lanes":"wasm simd128","runs":30,"ops":[{"op":"OptMatMul","ms":4.5,"nodes":4},{"op":"DepthWise","ms":2.25,"nodes":16}]}"#,
    );
}

#[test]
fn a_failed_request_repeats_its_id_and_type() {
    let failed = Reply::Error(Failure {
        id: Some(6.0),
        request: "frame".into(),
        error: "the models are not loaded (send init first)".into(),
    });
    round_trip(
        failed.clone(),
        r#"{"type":"error","id":6.0,"request":"frame","error":"the models are not loaded (send init first)"}"#,
    );
    assert_eq!(failed.id(), Some(6.0));
    round_trip(
        Reply::Error(Failure {
            id: None,
            request: "unknown".into(),
            error: "no type".into(),
        }),
        r#"{"type":"error","request":"unknown","error":"no type"}"#,
    );
}
