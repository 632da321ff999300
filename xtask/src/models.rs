//! `cargo xtask models`: regenerates the face models from their packages and
//! checks them against the committed ones in `static/models/`.
//!
//! The TFLite → ONNX conversion (tflite2onnx) is not byte-reproducible: two
//! runs on the same TFLite file serialise the graph differently. So the check
//! is in layers (details in `static/models/README.md`):
//!
//! 1. the TFLite files taken from the packages have the SHA-256 recorded in
//!    `static/models/SHA256SUMS` (the upstream packages are unchanged), and
//!    the committed ONNX files still have theirs;
//! 2. the test photographs fetched are byte-identical to
//!    `tests/fixtures/faces/`;
//! 3. each regenerated ONNX file is byte-identical to the committed one or,
//!    when it is not, computes the same outputs: `vigil-faces
//!    --compare-models` runs both versions on astronaut.png and requires
//!    every output to agree within 1e-4.
//!
//! Needs python3 (pip, venv), npm and the package registries, as the fetch
//! script does, and `sha256sum`.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util;

pub(crate) fn run() -> Result<()> {
    let root = util::root();
    let models = root.join("static/models");
    let fixtures = root.join("tests/fixtures/faces");
    let out = std::env::temp_dir().join(format!("vigil-models-{}", std::process::id()));
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    util::run(
        util::program("bash")
            .arg(root.join("crates/vision/fetch-face-models.sh"))
            .arg(&out),
    )?;

    let mut failures = Vec::new();
    let sums =
        std::fs::read_to_string(models.join("SHA256SUMS")).context("static/models/SHA256SUMS")?;
    let mut onnx = Vec::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (want, name) = line
            .split_once("  ")
            .with_context(|| format!("SHA256SUMS: malformed line {line:?}"))?;
        // Sources are checked in the fresh download, models as committed.
        let path = if name.starts_with("tflite/") {
            out.join(name)
        } else {
            onnx.push(name.to_owned());
            models.join(name)
        };
        let got = sha256(&path)?;
        if got == want {
            println!("sha256 ok        {name}");
        } else {
            println!("sha256 MISMATCH  {name}: {got}, recorded {want}");
            failures.push(format!("{name}: SHA-256 differs from SHA256SUMS"));
        }
    }

    for entry in std::fs::read_dir(out.join("images"))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if std::fs::read(&path)? == std::fs::read(fixtures.join(&name)).unwrap_or_default() {
            println!("identical        tests/fixtures/faces/{name}");
        } else {
            println!("DIFFERENT        tests/fixtures/faces/{name}");
            failures.push(format!(
                "tests/fixtures/faces/{name} differs from its package"
            ));
        }
    }

    let mut differing = Vec::new();
    for name in &onnx {
        let fresh = std::fs::read(out.join("onnx").join(name))
            .with_context(|| format!("the fetch script made no {name}"))?;
        if fresh == std::fs::read(models.join(name))? {
            println!("byte-identical   {name}");
        } else {
            println!("bytes differ     {name} (conversion not reproducible): comparing outputs");
            differing.push(name.clone());
        }
    }
    if !differing.is_empty() {
        // Compares all four models; the ones with identical bytes pass trivially.
        let numeric = util::run(
            util::vigil_faces(true)?
                .arg("--models")
                .arg(&models)
                .arg("--compare-models")
                .arg(out.join("onnx"))
                .arg(fixtures.join("astronaut.png")),
        );
        if let Err(e) = numeric {
            failures.push(format!(
                "regenerated models compute different outputs: {e:#}"
            ));
        }
    }

    if failures.is_empty() {
        std::fs::remove_dir_all(&out).ok();
        println!("models: ok (regenerated from their packages; see static/models/README.md)");
        Ok(())
    } else {
        bail!(
            "models: {} problem(s), regenerated files kept in {}:\n  {}",
            failures.len(),
            out.display(),
            failures.join("\n  ")
        )
    }
}

fn sha256(path: &Path) -> Result<String> {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .context("could not run sha256sum")?;
    if !out.status.success() {
        bail!(
            "sha256sum {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned())
}
