//! The page's part that Trunk does not write: the app and the vision
//! worker, added to what Trunk staged (`cargo xtask trunk-hook`, run by
//! Trunk after its own pipelines; see Trunk.toml and xtask/src/build.rs).
//!
//! Trunk builds what `index.html` names with `data-trunk` links: the boot
//! (`src/bin/boot.rs`, the first download: its module script, a
//! `modulepreload` of the glue and a `preload` of the wasm, each with
//! Subresource Integrity), the stylesheet (`/app-<hash>.css`, with its
//! integrity) and the service worker (`/sw.js`). It has no way to build a
//! second binary that the page loads later rather than at once, so this
//! adds:
//!
//! - the app (`dist/app/`, from xtask/src/app.rs), whose content-hashed
//!   name replaces `__VIGIL_APP__` in the page (the loader and its
//!   prefetch links, see `src/boot.rs`); the replacement fails loudly if
//!   `index.html` lacks the placeholder;
//! - the vision worker and its models (`dist/vision/`, xtask/src/worker.rs).
//!
//! These are the names `static/sw.js` expects.

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::util::copy_dir;

/// What index.html says where the app's file name (without extension) goes.
pub(crate) const APP: &str = "__VIGIL_APP__";

/// Adds the app `app` (its file name without extension, in `app_dir`, see
/// [`crate::app::dir`]) and the vision worker to the page Trunk staged in
/// `dist`.
pub(crate) fn add_app(dist: &Path, app: &str, app_dir: &Path) -> Result<()> {
    println!("== add the app and the vision worker to {}", dist.display());
    let page = dist.join("index.html");
    let html =
        std::fs::read_to_string(&page).with_context(|| format!("reading {}", page.display()))?;
    std::fs::write(&page, name_app(&html, app)?)?;
    let _ = std::fs::remove_dir_all(dist.join("app"));
    copy_dir(app_dir, &dist.join("app"))?;
    let _ = std::fs::remove_dir_all(dist.join("vision"));
    copy_dir(&crate::worker::dir(), &dist.join("vision"))
}

/// `html` with the app's name where it says [`APP`].
fn name_app(html: &str, app: &str) -> Result<String> {
    if !html.contains(APP) {
        bail!("index.html does not name the app ({APP})");
    }
    Ok(html.replace(APP, app))
}

#[cfg(test)]
mod tests {
    use super::name_app;

    #[test]
    fn the_app_is_named_where_the_page_says() {
        assert_eq!(
            name_app("<a href=\"/app/__VIGIL_APP__.js\">", "vigil-app-12ab").unwrap(),
            "<a href=\"/app/vigil-app-12ab.js\">"
        );
        let err = name_app("<p></p>", "x").unwrap_err().to_string();
        assert!(err.contains("__VIGIL_APP__"), "{err}");
    }
}
