//! Paths and process helpers shared by the xtask commands.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
        .to_owned()
}

/// Vigil's cache outside the work tree (`VIGIL_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/vigil`, else `~/.cache/vigil`): what a fresh clone on a
/// machine that already built Vigil (CI's usual case: it runs on the
/// submitting session's machine) need not make again: setup's tools
/// ([`tools_dir`]), Cargo's build directories ([`build_dir`]) and the
/// vision worker's builds (xtask/src/cache.rs).
pub(crate) fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VIGIL_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join("target"));
    cache.join("vigil")
}

/// Where xtask installs the tools that are not on PATH (npm's binaryen and
/// axe-core, s3s-fs, the cargo installs' shared build directory):
/// `VIGIL_TOOLS_DIR`, else `tools/` in [`cache_dir`], so that a fresh
/// clone on a machine that already ran setup finds them there instead of
/// compiling s3s-fs again (5 of a fresh CI run's 6 minutes of setup).
/// Setup links `target/tools` to it, the path the tests read.
pub(crate) fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VIGIL_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    cache_dir().join("tools")
}

/// Cargo's build directory (`build.build-dir`: the intermediate artifacts,
/// everything but the binaries and wasm Cargo hands out, which stay in the
/// work tree's target directory) for the target directory `name` (`main`
/// for `target/`, else the folder's name under `target/`): `build/<name>`
/// in [`cache_dir`]. A fresh clone then finds the registry's crates
/// compiled, with the same profile, features and flags, by the previous
/// clone: Cargo's fingerprints say what is fresh, and the work tree's own
/// crates (a package's id names its path) are compiled anew in each clone.
/// One for each target directory, as the target directories are: flags
/// differ between them, and Cargo rebuilds rather than keeps both.
/// `VIGIL_BUILD_CACHE=off` keeps everything under `target/` as usual.
/// [`crate::cache::prune`] bounds its size.
pub(crate) fn build_dir(name: &str) -> Option<PathBuf> {
    if std::env::var_os("VIGIL_BUILD_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    Some(cache_dir().join("build").join(name))
}

/// Sets Cargo's build directory for the target directory `name` ([`build_dir`]).
pub(crate) fn in_build_dir<'a>(cmd: &'a mut Command, name: &str) -> &'a mut Command {
    match build_dir(name) {
        Some(dir) => cmd.env("CARGO_BUILD_BUILD_DIR", dir),
        None => cmd.env_remove("CARGO_BUILD_BUILD_DIR"),
    }
}

/// `target/tools`, where the tests look for the tools: a link to [`tools_dir`].
pub(crate) fn tools_link() -> PathBuf {
    root().join("target").join("tools")
}

/// PATH with the project-local tools and cargo's bin directory first, so
/// the build finds the wasm-bindgen and wasm-opt that setup installed.
pub(crate) fn tool_path() -> OsString {
    let mut dirs = vec![tools_dir().join("node_modules").join(".bin")];
    if let Some(home) = cargo_home() {
        dirs.push(home.join("bin"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).expect("PATH entries are valid")
}

pub(crate) fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// `cargo` as invoked us, in the workspace root, with the tools on PATH,
/// and clippy's lints in every compilation of a workspace crate
/// ([`CLIPPY_ARGS`]).
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root())
        .env("PATH", tool_path())
        .env("RUSTC_WORKSPACE_WRAPPER", "clippy-driver")
        .env("CLIPPY_ARGS", CLIPPY_ARGS);
    in_build_dir(&mut cmd, "main");
    cmd
}

/// Clippy, as the compiler of the workspace's own crates (the registry's
/// are compiled by rustc as usual): `clippy-driver` is rustc with clippy's
/// lints, so a build with it as Cargo's `RUSTC_WORKSPACE_WRAPPER` produces
/// the same binaries and fails on the same lints as `cargo clippy`
/// (which sets just these two variables, then runs `cargo check`). Every
/// build xtask makes uses it, so that the tests' build *is* the lint, and
/// no dependency is compiled a second time only to be checked: a separate
/// `cargo clippy --workspace --all-targets` was 335-449 s of CI's time, most
/// of it checking the dependencies the tests then compiled again.
/// `--no-deps` (clippy's own flag: only the packages named with `-p`)
/// is added where a build must keep MIR's optimisations, which clippy turns
/// off for the crates it lints: see the vision worker's build.
/// Without xtask, `cargo clippy --workspace --all-targets -- -D warnings`
/// checks the same.
pub(crate) const CLIPPY_ARGS: &str = "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__";

/// A cargo command whose workspace crates are compiled by rustc alone: the
/// shipped app, whose code must be compiled as a plain `cargo build` does
/// (clippy turns MIR's optimisations off in what it lints).
pub(crate) fn cargo_without_lints() -> Command {
    let mut cmd = cargo();
    cmd.env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS");
    cmd
}

/// The face tool (`vigil-faces`), its arguments to follow: in release,
/// `cargo run --release`; otherwise the dev build the native tests made
/// (vigil-vision's integration test builds the binary): the same package
/// selection ([`crate::build::NATIVE`]) and `--tests`, so Cargo unifies the
/// dependencies' features as for the tests (dev-dependencies included) and
/// finds it built. `cargo run -p vigil-vision` alone rebuilt tract and half
/// the graph with other features: 7 minutes of a fresh CI run.
pub(crate) fn vigil_faces(release: bool) -> Result<Command> {
    if release {
        let mut cmd = cargo();
        cmd.args([
            "run",
            "--release",
            "-q",
            "-p",
            "vigil-vision",
            "--bin",
            "vigil-faces",
            "--",
        ]);
        return Ok(cmd);
    }
    run(cargo()
        .arg("build")
        .args(crate::build::NATIVE)
        .args(["--tests", "--bin", "vigil-faces"]))?;
    let mut cmd = Command::new(root().join("target/debug/vigil-faces"));
    cmd.current_dir(root()).env("PATH", tool_path());
    Ok(cmd)
}

/// A program from PATH (with the tools first), in the workspace root; and
/// if it runs Cargo (Trunk does), with `target/`'s build directory.
pub(crate) fn program(name: &str) -> Command {
    let mut cmd = Command::new(name);
    cmd.current_dir(root()).env("PATH", tool_path());
    in_build_dir(&mut cmd, "main");
    cmd
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs a command to completion, failing with the command line if it fails.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    println!("$ {line}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Runs a command, echoing its stdout, and returns that stdout as well (the
/// test command reads cargo test's `test result:` lines from it). With
/// `stderr_too`, stderr goes into the same pipe, in the order written
/// (nextest reports on stderr); only for commands whose children all end
/// with them: a daemon left holding the pipe would hold the reading too.
pub(crate) fn run_tee(cmd: &mut Command, stderr_too: bool) -> Result<(bool, String)> {
    let line = describe(cmd);
    println!("$ {line}");
    let (reader, writer) = std::io::pipe().context("creating a pipe")?;
    if stderr_too {
        cmd.stderr(writer.try_clone().context("cloning a pipe")?);
    }
    let mut child = cmd
        .stdout(writer)
        .spawn()
        .with_context(|| format!("could not start `{line}`"))?;
    // The command holds the pipe's writing ends until they are replaced:
    // the reading below then ends when the child (and what it started)
    // exits.
    cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
    let mut out = String::new();
    for l in BufReader::new(reader).lines() {
        let l = l.unwrap_or_default();
        println!("{l}");
        out.push_str(&l);
        out.push('\n');
    }
    let status = child.wait()?;
    Ok((status.success(), out))
}

/// The first line a program prints for `--version`, or `None` if it does not run.
pub(crate) fn version_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.arg("--version").stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_owned())
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The version of a package as locked in Cargo.lock.
pub(crate) fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').context("malformed Cargo.lock")? + start;
    Ok(lock[start..end].to_owned())
}

/// `wasm-opt -Oz` on `wasm`, in place (the app's and the boot's builds).
pub(crate) fn wasm_opt_in_place(wasm: &Path) -> Result<()> {
    wasm_opt_in_place_with(wasm, &["-Oz"])
}

/// `wasm-opt` with these options (an optimisation level, a feature to
/// enable) on `wasm`, in place.
pub(crate) fn wasm_opt_in_place_with(wasm: &Path, options: &[&str]) -> Result<()> {
    run(program("wasm-opt")
        .args(options)
        .arg("-o")
        .arg(wasm)
        .arg(wasm))
}

/// Copies one file, naming both paths if it fails.
pub(crate) fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Copies a folder and everything in it.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let path = entry?.path();
        let dest = to.join(path.file_name().context("a file without a name")?);
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            copy(&path, &dest)?;
        }
    }
    Ok(())
}
