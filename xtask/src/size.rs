//! `cargo xtask size`: what a candidate downloads. Raw and gzip (level 9)
//! sizes of every `.wasm`, `.js` and model file in `dist/`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::util;

const SHIPPED: &[&str] = &["wasm", "js", "onnx", "nnef", "tar", "css", "html"];

pub fn run() -> Result<()> {
    let dist = util::root().join("dist");
    if !dist.join("index.html").exists() {
        bail!("dist/ is empty: run `cargo xtask build` first");
    }
    let mut files = Vec::new();
    collect(&dist, &mut files)?;
    files.sort();
    let (mut raw_total, mut gz_total) = (0usize, 0usize);
    println!(
        "{:<48} {:>10} {:>10}",
        "file (dist/)", "raw KiB", "gzip KiB"
    );
    for f in files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !SHIPPED.contains(&ext) {
            continue;
        }
        let bytes = std::fs::read(&f)?;
        let gz = gzip_len(&bytes)?;
        raw_total += bytes.len();
        gz_total += gz;
        let name = f.strip_prefix(&dist)?.display().to_string();
        println!("{name:<48} {:>10.1} {:>10.1}", kib(bytes.len()), kib(gz));
    }
    println!(
        "{:<48} {:>10.1} {:>10.1}",
        "total",
        kib(raw_total),
        kib(gz_total)
    );
    Ok(())
}

fn kib(n: usize) -> f64 {
    n as f64 / 1024.0
}

pub fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}
