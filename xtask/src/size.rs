//! `cargo xtask size`: what a candidate downloads, and what takes the
//! space. Raw and gzip (level 9) sizes of every `.wasm`, `.js` and model
//! file in `dist/`, grouped by when the browser fetches them:
//! - the **first download**, everything the page needs before the login
//!   screen shows: the page, the stylesheet, the service worker and the
//!   boot (`src/boot.rs`). Its budget is [`FIRST_DOWNLOAD_BUDGET`] bytes
//!   gzip, checked by `cargo xtask test` ([`check_budget`]);
//! - the **app** (`dist/app/`), which the boot loads after the sign-in
//!   (or at once when a candidate is signed in here), fetched ahead at low
//!   priority and cached by the service worker meanwhile;
//! - the **vision worker** and its models (`dist/vision/`), fetched when
//!   the face checks start.
//!
//! Then, for the boot and the app, their code by crate and their biggest
//! functions, so the next person sees where the bytes are. The names come
//! from the release build's name section, put through the same steps as
//! the shipped file (wasm-bindgen, then `wasm-opt -Oz`) but with `-g`,
//! which keeps the names: the figures are those of the code that ships
//! (after inlining, and without wasm-bindgen's describe functions, which
//! the build strips), not of the compiler's output. A component's view
//! shows as yew's `CompStateInner<COMP>::view` with the component's `run`
//! inlined into it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::util;

const SHIPPED: &[&str] = &["wasm", "js", "onnx", "gz", "css", "html"];

/// The first download's budget, gzip bytes (issue #12: 250 kB): what a
/// candidate on a poor home connection waits for before the login screen.
pub(crate) const FIRST_DOWNLOAD_BUDGET: usize = 250_000;

/// When the browser fetches a file of `dist/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    First,
    App,
    Vision,
}

impl Group {
    fn of(relative: &Path) -> Group {
        match relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
        {
            Some("app") => Group::App,
            Some("vision") => Group::Vision,
            _ => Group::First,
        }
    }
    fn title(self) -> &'static str {
        match self {
            Group::First => "first download (before the login screen)",
            Group::App => "the app (loaded by the boot; fetched ahead)",
            Group::Vision => "the vision worker and its models (when the face checks start)",
        }
    }
}

/// Each shipped file of `dist` in `groups` with its group, raw and gzip
/// sizes.
fn shipped(dist: &Path, groups: &[Group]) -> Result<Vec<(Group, String, usize, usize)>> {
    if !dist.join("index.html").exists() {
        bail!("{} is empty: run `cargo xtask build` first", dist.display());
    }
    let mut files = Vec::new();
    collect(dist, &mut files)?;
    let mut out = Vec::new();
    for f in files {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !SHIPPED.contains(&ext) {
            continue;
        }
        let relative = f.strip_prefix(dist)?;
        let group = Group::of(relative);
        if !groups.contains(&group) {
            continue;
        }
        let bytes = std::fs::read(&f)?;
        out.push((
            group,
            relative.display().to_string(),
            bytes.len(),
            gzip_len(&bytes)?,
        ));
    }
    out.sort();
    Ok(out)
}

/// The first download's gzip bytes; an error naming the files if it is
/// over [`FIRST_DOWNLOAD_BUDGET`].
pub(crate) fn check_budget(dist: &Path) -> Result<usize> {
    let first = shipped(dist, &[Group::First])?;
    let total: usize = first.iter().map(|f| f.3).sum();
    if total > FIRST_DOWNLOAD_BUDGET {
        let files: Vec<String> = first.iter().map(|f| format!("{} {} B", f.1, f.3)).collect();
        bail!(
            "the first download is {total} B gzip, over its budget of {FIRST_DOWNLOAD_BUDGET} B: {}",
            files.join(", ")
        );
    }
    Ok(total)
}

pub(crate) fn run() -> Result<()> {
    let dist = util::root().join("dist");
    let files = shipped(&dist, &[Group::First, Group::App, Group::Vision])?;
    println!(
        "{:<48} {:>10} {:>10}",
        "file (dist/)", "raw KiB", "gzip KiB"
    );
    for group in [Group::First, Group::App, Group::Vision] {
        let mine: Vec<_> = files.iter().filter(|f| f.0 == group).collect();
        println!("-- {}", group.title());
        for (_, name, raw, gz) in &mine {
            println!("{name:<48} {:>10.1} {:>10.1}", kib(*raw), kib(*gz));
        }
        let (raw, gz) = mine.iter().fold((0, 0), |a, f| (a.0 + f.2, a.1 + f.3));
        println!("{:<48} {:>10.1} {:>10.1}", "   subtotal", kib(raw), kib(gz));
        if group == Group::First {
            println!(
                "   = {gz} B gzip; budget {FIRST_DOWNLOAD_BUDGET} B: {}",
                if gz <= FIRST_DOWNLOAD_BUDGET {
                    "within"
                } else {
                    "OVER"
                }
            );
        }
    }
    let (raw, gz) = files.iter().fold((0, 0), |a, f| (a.0 + f.2, a.1 + f.3));
    println!("{:<48} {:>10.1} {:>10.1}", "total", kib(raw), kib(gz));
    for bin in ["vigil-boot", "vigil-app"] {
        let named = util::root()
            .join("target/wasm32-unknown-unknown/wasm-release")
            .join(format!("{bin}.wasm"));
        if !named.exists() {
            println!("(no {} to read names from)", named.display());
            continue;
        }
        let optimised = optimised_with_names(&named, bin)?;
        contributors(bin, &std::fs::read(optimised)?)?;
    }
    Ok(())
}

/// The release build through wasm-bindgen and `wasm-opt -Oz` as the build
/// does (xtask/src/app.rs), keeping the name section.
fn optimised_with_names(named: &Path, bin: &str) -> Result<PathBuf> {
    let out = util::root().join("target/size");
    std::fs::create_dir_all(&out)?;
    util::run(
        util::program("wasm-bindgen")
            .args(["--target", "web", "--out-dir"])
            .arg(&out)
            .arg(named),
    )?;
    let optimised = out.join(format!("{bin}.opt.wasm"));
    util::run(
        util::program("wasm-opt")
            .args(["-Oz", "-g"])
            .args(WASM_FEATURES)
            .arg(out.join(format!("{bin}_bg.wasm")))
            .arg("-o")
            .arg(&optimised),
    )?;
    Ok(optimised)
}

/// The wasm features rustc's wasm32 target emits by default, named to
/// wasm-opt (the build reads them from the module's target_features).
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
];

/// How many crates and functions the contributors' report lists.
const TOP_CRATES: usize = 25;
const TOP_FUNCTIONS: usize = 25;

/// Code bytes of each function of a wasm module with its name section,
/// grouped by the crate the (demangled) name starts with; generic code
/// counts for the crate that defines it, not the one that instantiated it.
fn contributors(bin: &str, wasm: &[u8]) -> Result<()> {
    use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};
    let (mut imported, mut bodies, mut names) =
        (0u32, Vec::new(), std::collections::HashMap::new());
    let mut data = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(imports) => {
                for import in imports.into_imports() {
                    if matches!(import?.ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body.range().len()),
            Payload::DataSection(section) => data += section.range().len(),
            Payload::CustomSection(custom) => {
                if let KnownCustom::Name(reader) = custom.as_known() {
                    for name in reader {
                        if let Name::Function(map) = name? {
                            for naming in map {
                                let naming = naming?;
                                names.insert(naming.index, naming.name.to_owned());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let code: usize = bodies.iter().sum();
    let mut functions: Vec<(usize, String)> = bodies
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            let index = imported + i as u32;
            let name = names
                .get(&index)
                .map(|n| readable(&format!("{:#}", rustc_demangle::demangle(n))))
                .unwrap_or_else(|| format!("function[{index}]"));
            (len, name)
        })
        .collect();
    let mut by_crate: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (len, name) in &functions {
        *by_crate.entry(crate_of(name)).or_default() += len;
    }
    let mut by_crate: Vec<_> = by_crate.into_iter().collect();
    by_crate.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!(
        "\n{bin}'s wasm as shipped (names kept): code {:.1} KiB in {} functions, data {:.1} KiB",
        kib(code),
        bodies.len(),
        kib(data)
    );
    println!("{:<40} {:>10} {:>7}", "code by crate", "KiB", "share");
    for (krate, len) in by_crate.iter().take(TOP_CRATES) {
        let share = 100.0 * *len as f64 / code.max(1) as f64;
        println!("{krate:<40} {:>10.1} {share:>6.1}%", kib(*len));
    }
    functions.sort_by_key(|f| std::cmp::Reverse(f.0));
    println!("\n{:>10}  biggest functions", "KiB");
    for (len, name) in functions.iter().take(TOP_FUNCTIONS) {
        let short: String = name.chars().take(110).collect();
        println!("{:>10.1}  {short}", kib(*len));
    }
    Ok(())
}

/// A demangled name without its hash (`::h0123456789abcdef`, which
/// wasm-bindgen's demangling leaves) and crate disambiguators (`[0123abcd]`).
fn readable(name: &str) -> String {
    let mut s = name.to_owned();
    if let Some(i) = s.rfind("::h") {
        let tail = &s[i + 3..];
        if tail.len() == 16 && tail.bytes().all(|b| b.is_ascii_hexdigit()) {
            s.truncate(i);
        }
    }
    while let Some(open) = s.find('[') {
        match s[open..].find(']') {
            Some(len)
                if s[open + 1..open + len]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit()) =>
            {
                s.replace_range(open..=open + len, "");
            }
            _ => break,
        }
    }
    s
}

/// The crate a demangled name belongs to: its first path segment, looking
/// through `<T as Trait>` to the type's crate.
fn crate_of(name: &str) -> String {
    let name = name.trim_start_matches('<').trim_start_matches('&');
    let name = name.trim_start_matches("mut ").trim_start_matches("dyn ");
    match name.find("::") {
        Some(i) if name[..i].chars().all(|c| c.is_alphanumeric() || c == '_') => {
            name[..i].to_owned()
        }
        _ => "(other: glue, intrinsics)".to_owned(),
    }
}

fn kib(n: usize) -> f64 {
    n as f64 / 1024.0
}

pub(crate) fn gzip_len(bytes: &[u8]) -> Result<usize> {
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

#[cfg(test)]
mod tests {
    use super::{crate_of, readable, Group};
    use std::path::Path;

    #[test]
    fn files_are_grouped_by_when_they_are_fetched() {
        assert_eq!(
            Group::of(Path::new("vigil-boot-1234_bg.wasm")),
            Group::First
        );
        assert_eq!(Group::of(Path::new("index.html")), Group::First);
        assert_eq!(
            Group::of(Path::new("app/vigil-app-1234_bg.wasm")),
            Group::App
        );
        assert_eq!(
            Group::of(Path::new("vision/models/x.graph.gz")),
            Group::Vision
        );
    }

    #[test]
    fn names_lose_their_hash_and_crate_disambiguators() {
        assert_eq!(
            readable("vigil_app::package::open::h968f7a094c3adf82"),
            "vigil_app::package::open"
        );
        assert_eq!(
            readable("<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<A>>::malloc"),
            "<dlmalloc::dlmalloc::Dlmalloc<A>>::malloc"
        );
        assert_eq!(
            readable("core::slice::<impl [T]>::sort"),
            "core::slice::<impl [T]>::sort"
        );
        assert_eq!(
            crate_of(&readable("<dlmalloc[e24a]::X>::malloc")),
            "dlmalloc"
        );
    }

    #[test]
    fn a_function_counts_for_the_crate_of_its_path_or_type() {
        assert_eq!(crate_of("yew::html::component::lifecycle::run"), "yew");
        assert_eq!(
            crate_of("<vigil_exam::event::EventKind as serde_core::ser::Serialize>::serialize"),
            "vigil_exam"
        );
        assert_eq!(
            crate_of("<&mut serde_json::de::Deserializer<R>>::x"),
            "serde_json"
        );
        assert_eq!(crate_of("memcpy"), "(other: glue, intrinsics)");
    }
}
