//! The page: `dist/` from `index.html` and the built binaries — what Trunk
//! used to do for Vigil, done here.
//!
//! Why not Trunk: Vigil used a small part of it (one wasm, one stylesheet,
//! three copies), already built its app and vision worker outside it, and
//! compiling it was the longest install of a fresh machine's setup (7.6 min
//! of CI's time at opt-level 1, 11 min under load). What is left is a few
//! substitutions, each of which fails loudly if `index.html` lacks its
//! marker:
//!
//! - `<!-- vigil:boot -->`: the boot's module script (it imports the
//!   wasm-bindgen glue, starts the wasm and leaves its bindings in
//!   `window.wasmBindings`), then a `modulepreload` of the glue and a
//!   `preload` of the wasm, both with Subresource Integrity (SHA-384);
//! - `<!-- vigil:css static/app.css -->`: the stylesheet, copied as
//!   `/app-<hash>.css` and linked with its integrity;
//! - `__VIGIL_APP__`: the app's content-hashed name (the loader and its
//!   prefetch links, see `src/boot.rs`).
//!
//! The boot's files go to the root (`/vigil-boot-<hash>.js`, `_bg.wasm`),
//! the app's to `/app/`, the vision worker's to `/vision/`, the service
//! worker to `/sw.js`: the names `static/sw.js` expects.

use std::path::Path;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256, Sha384};

use crate::app::Built;
use crate::util::{self, copy, copy_dir};

/// Where index.html wants the boot's script and preloads.
pub(crate) const BOOT: &str = "<!-- vigil:boot -->";
/// Where index.html wants the stylesheet's link, and which file it is.
pub(crate) const CSS: &str = "<!-- vigil:css static/app.css -->";
/// What index.html says where the app's file name (without extension) goes.
pub(crate) const APP: &str = "__VIGIL_APP__";

/// Writes `dist` afresh: the page, the boot, the stylesheet, the app, the
/// vision worker and the service worker.
pub(crate) fn write(dist: &Path, built: &Built) -> Result<()> {
    println!("== write the page into {}", dist.display());
    let root = util::root();
    let _ = std::fs::remove_dir_all(dist);
    std::fs::create_dir_all(dist)?;

    let mut html =
        std::fs::read_to_string(root.join("index.html")).context("reading index.html")?;

    let mut boot = String::new();
    for ext in [".js", "_bg.wasm"] {
        let file = format!("{}{ext}", built.boot);
        copy(&crate::app::boot_dir().join(&file), &dist.join(&file))?;
    }
    let js = format!("/{}.js", built.boot);
    let wasm = format!("/{}_bg.wasm", built.boot);
    boot.push_str(&format!(
        "<script type=\"module\">\nimport init, * as bindings from '{js}';\n\
         await init({{ module_or_path: '{wasm}' }});\nwindow.wasmBindings = bindings;\n</script>\n"
    ));
    boot.push_str(&format!(
        "    <link rel=\"modulepreload\" href=\"{js}\" crossorigin=\"anonymous\" integrity=\"{}\" />\n",
        integrity(&std::fs::read(dist.join(&js[1..]))?)
    ));
    boot.push_str(&format!(
        "    <link rel=\"preload\" href=\"{wasm}\" crossorigin=\"anonymous\" integrity=\"{}\" as=\"fetch\" type=\"application/wasm\" />",
        integrity(&std::fs::read(dist.join(&wasm[1..]))?)
    ));
    html = substitute(&html, BOOT, &boot)?;

    let css = std::fs::read(root.join("static/app.css")).context("reading static/app.css")?;
    let css_name = format!("app-{}.css", &hex::encode(Sha256::digest(&css))[..16]);
    std::fs::write(dist.join(&css_name), &css)?;
    html = substitute(
        &html,
        CSS,
        &format!(
            "<link rel=\"stylesheet\" href=\"/{css_name}\" integrity=\"{}\" />",
            integrity(&css)
        ),
    )?;

    if !html.contains(APP) {
        bail!("index.html does not name the app ({APP})");
    }
    html = html.replace(APP, &built.app);
    std::fs::write(dist.join("index.html"), html)?;

    copy_dir(&crate::app::dir(), &dist.join("app"))?;
    copy_dir(&crate::worker::dir(), &dist.join("vision"))?;
    copy(&root.join("static/sw.js"), &dist.join("sw.js"))?;
    Ok(())
}

/// `html` with its one `marker` replaced by `with`.
fn substitute(html: &str, marker: &str, with: &str) -> Result<String> {
    match html.matches(marker).count() {
        1 => Ok(html.replace(marker, with)),
        n => bail!("index.html must hold {marker} once, not {n} times"),
    }
}

/// A Subresource Integrity value: `sha384-` and the digest in base64.
pub(crate) fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", base64(&Sha384::digest(bytes)))
}

/// Standard base64 with padding (RFC 4648 §4), all SRI needs.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{base64, integrity, substitute};

    #[test]
    fn base64_is_rfc_4648() {
        // RFC 4648 §10's test vectors.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn integrity_is_sha384_in_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            integrity(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }

    #[test]
    fn each_marker_is_there_once() {
        assert_eq!(
            substitute("a <!--x--> b", "<!--x-->", "y").unwrap(),
            "a y b"
        );
        let err = substitute("a b", "<!--x-->", "y").unwrap_err().to_string();
        assert!(err.contains("not 0 times"), "{err}");
        assert!(substitute("<!--x--><!--x-->", "<!--x-->", "y").is_err());
    }
}
