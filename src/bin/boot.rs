//! Entry point of the boot, the candidate's first download (built by
//! `cargo xtask build`, built and named in the page by Trunk, see Trunk.toml); it loads the app (`src/main.rs`) when it is needed.
//! See `vigil_app::boot`.

fn main() {
    vigil_app::boot::run();
}
