//! What outlives a clone, in [`util::cache_dir`]: Cargo's build directories
//! ([`util::build_dir`]) and the vision worker's finished builds, keyed by
//! everything they are made from ([`sources_key`]).
//!
//! Why: CI runs on a fresh clone of each submission, on the machine that
//! made it, and compiled every crate of the registry again each time (11 of
//! a 51-minute run's minutes were the native build, most of it the same
//! dependencies as the run before), then the vision worker twice, a link-
//! time optimisation of tract on one core each (about 8 minutes), though
//! most changes never touch the worker. Cargo's own fingerprints decide what
//! in a build directory is fresh; the worker's key is ours, so it names
//! every input: the Rust toolchain, wasm-bindgen and wasm-opt, the lock
//! file, the workspace's manifest and Cargo's configuration, the compiler
//! flags, and every file of every workspace package the worker is built
//! from (found through `cargo metadata`, so a new path dependency is in the
//! key the day it is added).
//!
//! Bounds: the build directories are removed whole, before a build, once
//! they take more than [`BUILD_CACHE_MAX_GIB`] GiB (`VIGIL_BUILD_CACHE_GIB`
//! to change it): each clone adds its own crates' units (about 4 GiB for a
//! full `cargo xtask test`), which no later clone reads. The worker keeps
//! its [`WORKER_BUILDS_KEPT`] newest builds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::util;

/// Past this size (GiB) the build directories are removed before a build.
pub(crate) const BUILD_CACHE_MAX_GIB: u64 = 32;

/// How many of the worker's builds are kept.
pub(crate) const WORKER_BUILDS_KEPT: usize = 8;

/// Removes the build directories if they take more than the limit; says
/// what they take either way.
pub(crate) fn prune() -> Result<()> {
    let Some(dir) = util::build_dir("main").and_then(|d| d.parent().map(Path::to_owned)) else {
        println!("ok   build cache off (VIGIL_BUILD_CACHE=off)");
        return Ok(());
    };
    let max_gib = match std::env::var("VIGIL_BUILD_CACHE_GIB") {
        Ok(v) => v
            .parse::<u64>()
            .with_context(|| format!("VIGIL_BUILD_CACHE_GIB={v:?} is not a whole number of GiB"))?,
        Err(_) => BUILD_CACHE_MAX_GIB,
    };
    let bytes = size_of(&dir);
    let gib = bytes as f64 / f64::from(1u32 << 30);
    if bytes > max_gib << 30 {
        println!(
            "build cache: {} takes {gib:.1} GiB, over {max_gib} GiB: removed (this build compiles everything)",
            dir.display()
        );
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    } else {
        println!(
            "ok   build cache: {} takes {gib:.1} GiB of {max_gib}",
            dir.display()
        );
    }
    Ok(())
}

/// The bytes of the files under `dir` (0 if it does not exist).
fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// A hash of everything `package`'s build for `target` is made from:
/// `extra` (flags, tool versions), the toolchain's `rustc -vV`, Cargo.lock,
/// the workspace's Cargo.toml and `.cargo/config.toml`, and the files of
/// every workspace package in its dependency closure (normal and build
/// dependencies, for that target), `target/` folders left out.
pub(crate) fn sources_key(package: &str, target: &str, extra: &[&str]) -> Result<String> {
    let root = util::root();
    let mut hash = Sha256::new();
    let mut put = |label: &str, bytes: &[u8]| {
        hash.update((label.len() as u64).to_le_bytes());
        hash.update(label.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    put("key", b"vigil sources key 1");
    for (i, e) in extra.iter().enumerate() {
        put(&format!("extra {i}"), e.as_bytes());
    }
    let rustc = util::program("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    put("rustc", &rustc.stdout);
    for file in ["Cargo.lock", "Cargo.toml", ".cargo/config.toml"] {
        put(file, &std::fs::read(root.join(file)).unwrap_or_default());
    }
    for dir in workspace_closure(package, target)? {
        let mut files = BTreeSet::new();
        list_files(&dir, &mut files)?;
        for file in files {
            let name = file.strip_prefix(&root).unwrap_or(&file);
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            put(&name.to_string_lossy(), &bytes);
        }
    }
    Ok(hex::encode(hash.finalize()))
}

/// The folders of the workspace packages `package` is built from for
/// `target` (itself included), from `cargo metadata`'s resolved graph.
fn workspace_closure(package: &str, target: &str) -> Result<BTreeSet<PathBuf>> {
    let out = util::program("cargo")
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            target,
        ])
        .output()
        .context("running cargo metadata")?;
    anyhow::ensure!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("cargo metadata's JSON")?;
    closure_dirs(&meta, package)
}

/// [`workspace_closure`] on `cargo metadata`'s JSON.
fn closure_dirs(meta: &serde_json::Value, package: &str) -> Result<BTreeSet<PathBuf>> {
    let packages: BTreeMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .context("cargo metadata: no packages")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .context("cargo metadata: no resolve graph")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let start = packages
        .iter()
        .find(|(_, p)| p["name"] == package && p["source"].is_null())
        .map(|(id, _)| *id)
        .with_context(|| format!("{package} is not a workspace package"))?;
    let (mut seen, mut todo, mut dirs) = (BTreeSet::new(), vec![start], BTreeSet::new());
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        let p = packages[id];
        if !p["source"].is_null() {
            continue; // from the registry: Cargo.lock pins it
        }
        let manifest = p["manifest_path"]
            .as_str()
            .context("a package without a manifest")?;
        dirs.insert(
            Path::new(manifest)
                .parent()
                .context("a manifest at /")?
                .to_owned(),
        );
        let Some(node) = nodes.get(id) else { continue };
        for dep in node["deps"].as_array().into_iter().flatten() {
            let used = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if let (true, Some(dep_id)) = (used, dep["pkg"].as_str()) {
                todo.push(dep_id);
            }
        }
    }
    Ok(dirs)
}

/// Every file under `dir`, but in `target/` folders.
fn list_files(dir: &Path, files: &mut BTreeSet<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if entry.file_name() != "target" {
                list_files(&path, files)?;
            }
        } else if kind.is_file() {
            files.insert(path);
        }
    }
    Ok(())
}

/// The folder of the finished worker build with this key, if there is one.
pub(crate) fn worker_build(key: &str) -> Option<PathBuf> {
    let dir = worker_builds().join(key);
    dir.join("done").exists().then_some(dir)
}

/// Keeps `files` as the finished worker build with this key (whole or not
/// at all: written aside, then renamed), and forgets the oldest past
/// [`WORKER_BUILDS_KEPT`].
pub(crate) fn keep_worker_build(key: &str, files: &[PathBuf]) -> Result<()> {
    let builds = worker_builds();
    let partial = builds.join(format!("{key}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial)?;
    for file in files {
        let name = file.file_name().context("a file without a name")?;
        util::copy(file, &partial.join(name))?;
    }
    std::fs::write(partial.join("done"), "")?;
    let dir = builds.join(key);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&partial, &dir)?;
    let mut kept: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&builds)?
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    kept.sort();
    while kept.len() > WORKER_BUILDS_KEPT {
        let (_, oldest) = kept.remove(0);
        let _ = std::fs::remove_dir_all(oldest);
    }
    Ok(())
}

fn worker_builds() -> PathBuf {
    util::cache_dir().join("worker")
}

#[cfg(test)]
mod tests {
    use super::closure_dirs;

    #[test]
    fn the_closure_follows_normal_and_build_dependencies_of_workspace_packages() {
        let meta = serde_json::json!({
            "packages": [
                {"id": "w", "name": "worker", "source": null, "manifest_path": "/r/worker/Cargo.toml"},
                {"id": "v", "name": "vision", "source": null, "manifest_path": "/r/vision/Cargo.toml"},
                {"id": "b", "name": "gen", "source": null, "manifest_path": "/r/gen/Cargo.toml"},
                {"id": "t", "name": "testonly", "source": null, "manifest_path": "/r/testonly/Cargo.toml"},
                {"id": "s", "name": "serde", "source": "registry+x", "manifest_path": "/reg/serde/Cargo.toml"}
            ],
            "resolve": {"nodes": [
                {"id": "w", "deps": [
                    {"pkg": "v", "dep_kinds": [{"kind": null}]},
                    {"pkg": "t", "dep_kinds": [{"kind": "dev"}]},
                    {"pkg": "s", "dep_kinds": [{"kind": null}]}
                ]},
                {"id": "v", "deps": [{"pkg": "b", "dep_kinds": [{"kind": "build"}]}]},
                {"id": "b", "deps": []},
                {"id": "t", "deps": []},
                {"id": "s", "deps": []}
            ]}
        });
        let dirs: Vec<String> = closure_dirs(&meta, "worker")
            .unwrap()
            .into_iter()
            .map(|d| d.display().to_string())
            .collect();
        assert_eq!(dirs, ["/r/gen", "/r/vision", "/r/worker"]);
        assert!(
            closure_dirs(&meta, "serde").is_err(),
            "not a workspace package"
        );
    }
}
