//! Vigil's model file ([`vigil_vision::graph`]): each of the four models
//! reads back as the very graph that was written, an operator outside the
//! format is refused by name when writing, and a damaged file is an error
//! naming what is wrong when reading, never a panic.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::PathBuf;

use tract_core::internal::*;
use vigil_vision::graph::{read, write, MAGIC};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One line per node: its name, operator, inputs and output facts.
fn describe(model: &TypedModel) -> Vec<String> {
    model
        .eval_order()
        .unwrap()
        .into_iter()
        .map(|id| {
            let n = model.node(id);
            let inputs: Vec<_> = n
                .inputs
                .iter()
                .map(|o| (model.node(o.node).name.clone(), o.slot))
                .collect();
            let facts: Vec<_> = n.outputs.iter().map(|o| format!("{:?}", o.fact)).collect();
            format!("{} {:?} {inputs:?} {facts:?}", n.name, n.op)
        })
        .collect()
}

fn decluttered(stem: &str) -> TypedModel {
    use tract_onnx::prelude::{Framework as _, InferenceModelExt as _};
    let onnx = std::fs::read(root().join(format!("static/models/{stem}.onnx"))).unwrap();
    tract_onnx::onnx()
        .model_for_read(&mut &*onnx)
        .unwrap()
        .into_typed()
        .unwrap()
        .into_decluttered()
        .unwrap()
}

#[test]
fn each_model_reads_back_as_the_graph_written() {
    for stem in [
        "face_detection_short_range",
        "face_detection_full_range",
        "face_landmark",
        "MobileFaceNet",
    ] {
        let model = decluttered(stem);
        let file = write(&model).unwrap();
        let back = read(&file).unwrap();
        let (b, m) = (describe(&back), describe(&model));
        assert_eq!(b.len(), m.len(), "{stem}: node count");
        for (b, m) in b.iter().zip(&m) {
            assert_eq!(b, m, "{stem}");
        }
        assert_eq!(
            back.output_outlets().unwrap().len(),
            model.output_outlets().unwrap().len()
        );
        // The constants too, bit for bit.
        for (a, b) in back.nodes().iter().zip(model.nodes()) {
            if let (Some(x), Some(y)) = (
                a.op_as::<tract_core::ops::konst::Const>(),
                b.op_as::<tract_core::ops::konst::Const>(),
            ) {
                assert_eq!(x.val(), y.val(), "{stem}: constant {}", a.name);
            }
        }
        println!(
            "{stem}: {} nodes, {} bytes",
            model.nodes().len(),
            file.len()
        );
    }
}

/// A tiny model: x → exp(x) (an operator the format does not list) or
/// x + 1 (one it does).
fn tiny(exp: bool) -> TypedModel {
    let mut model = TypedModel::default();
    let x = model.add_source("x", f32::fact([4])).unwrap();
    let y = if exp {
        model
            .wire_node("y", tract_core::ops::math::exp(), &[x])
            .unwrap()
    } else {
        let one = model.add_const("one", tensor1(&[1f32; 4])).unwrap();
        model
            .wire_node("y", tract_core::ops::math::add(), &[x, one])
            .unwrap()
    };
    model.select_output_outlets(&y).unwrap();
    model
}

#[test]
fn writing_refuses_an_operator_outside_the_format_by_name() {
    let err = write(&tiny(true)).unwrap_err().to_string();
    assert!(err.contains("\"y\"") && err.contains("Exp"), "{err}");
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut raw)
        .unwrap();
    raw
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(raw).unwrap();
    gz.finish().unwrap()
}

/// The file with its JSON replaced by `json` (its constants kept).
fn with_json(raw: &[u8], json: &str) -> Vec<u8> {
    let len = u32::from_le_bytes(raw[12..16].try_into().unwrap()) as usize;
    let mut out = MAGIC.to_vec();
    out.extend((json.len() as u32).to_le_bytes());
    out.extend(json.as_bytes());
    out.extend(&raw[16 + len..]);
    out
}

#[test]
fn a_damaged_file_is_an_error_naming_what_is_wrong() {
    let file = write(&tiny(false)).unwrap();
    let raw = gunzip(&file);
    // It reads, gzipped or not, and computes x + 1.
    for bytes in [&file, &raw] {
        let plan = read(bytes).unwrap().into_runnable().unwrap();
        let out = plan
            .run(tvec![tensor1(&[1f32, 2., 3., 4.]).into()])
            .unwrap();
        assert_eq!(
            out[0]
                .try_as_plain_ram()
                .unwrap()
                .as_slice::<f32>()
                .unwrap(),
            &[2., 3., 4., 5.]
        );
    }
    let len = u32::from_le_bytes(raw[12..16].try_into().unwrap()) as usize;
    let json = std::str::from_utf8(&raw[16..16 + len]).unwrap().to_owned();

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "no VIGILGRAPH1 header"),
        ("not gzip inside", vec![0x1f, 0x8b, 1, 2, 3], "gzip"),
        (
            "another file",
            b"PK\x03\x04 a zip".to_vec(),
            "no VIGILGRAPH1 header",
        ),
        ("truncated header", raw[..14].to_vec(), "truncated header"),
        (
            "truncated description",
            raw[..16 + len / 2].to_vec(),
            "are left",
        ),
        (
            "truncated constants",
            raw[..raw.len() - 3].to_vec(),
            "left in the file",
        ),
        (
            "bytes after",
            [&raw[..], b"xx"].concat(),
            "2 bytes after the last constant",
        ),
        ("not JSON", with_json(&raw, "{nodes"), "graph description"),
        (
            "an unknown operator",
            with_json(&raw, &json.replace("\"Add\"", "\"Fft\"")),
            "Fft",
        ),
        (
            "a node reading a later one",
            with_json(&raw, &json.replace("[[0,0],[1,0]]", "[[0,0],[2,0]]")),
            "not an earlier node's output",
        ),
        (
            "an output that is no node's",
            with_json(
                &raw,
                &json.replace("\"outputs\":[[2,0]]", "\"outputs\":[[2,7]]"),
            ),
            "output (2, 7)",
        ),
        (
            "a shape that overflows",
            with_json(
                &raw,
                &json.replace(
                    "\"const\":{\"dt\":\"F32\",\"shape\":[4]}",
                    "\"const\":{\"dt\":\"F32\",\"shape\":[4294967296,4294967296]}",
                ),
            ),
            "overflows",
        ),
        (
            "an unknown type",
            with_json(&raw, &json.replacen("\"F32\"", "\"String\"", 1)),
            "not in Vigil's model format",
        ),
        (
            "einsum axes tract would assert on",
            with_json(
                &raw,
                &json.replace(
                    "{\"binary\":{\"name\":\"Add\"}}",
                    "{\"ein_sum\":{\"axes\":\"...i,i->...\",\"dt\":\"F32\"}}",
                ),
            ),
            "einsum axes",
        ),
    ];
    for (what, bytes, expected) in cases {
        let err = match read(&bytes) {
            Ok(_) => panic!("{what}: read"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(expected), "{what}: {err}");
        // The same damage inside gzip is told the same way.
        if what != "not gzip inside" {
            let err = read(&gzip(&bytes)).err().unwrap().to_string();
            assert!(err.contains(expected), "{what}, gzipped: {err}");
        }
    }
    // Sanity of the edits above: each changed the description.
    assert!(json.contains("[[0,0],[1,0]]"), "{json}");
    assert!(json.contains("\"outputs\":[[2,0]]"), "{json}");
    assert!(
        json.contains("\"const\":{\"dt\":\"F32\",\"shape\":[4]}"),
        "{json}"
    );
    assert!(json.contains("{\"binary\":{\"name\":\"Add\"}}"), "{json}");
}
