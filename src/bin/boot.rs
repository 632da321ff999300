//! Entry point of the boot, the candidate's first download (built by
//! `cargo xtask build`, named in the page by xtask/src/page.rs); it loads the app (`src/main.rs`) when it is needed.
//! See `vigil_app::boot`.

fn main() {
    vigil_app::boot::run();
}
